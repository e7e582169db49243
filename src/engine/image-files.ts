import { PNG } from 'pngjs'
import { withPngText } from '../shared/png-text'
import type { ModelSize } from '../shared/image-convert'

/** Encodes channel-planar model bytes (1 or 3 channels) as PNG, with the parameters text when given. */
export function encodeModelPng(bytes: Uint8Array, size: ModelSize, paramsText?: string): Uint8Array {
  const png = new PNG({ width: size.width, height: size.height, colorType: 6 })
  const plane = size.width * size.height
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) png.data[i * 4 + c] = bytes[(size.channels === 1 ? 0 : c) * plane + i]
    png.data[i * 4 + 3] = 255
  }
  const encoded = new Uint8Array(PNG.sync.write(png, { colorType: size.channels === 1 ? 0 : 2 }))
  return paramsText === undefined ? encoded : withPngText(encoded, paramsText)
}
