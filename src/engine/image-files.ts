import { PNG } from 'pngjs'
import jpeg from 'jpeg-js'
import { isPng, withPngText } from '../shared/png-text'
import { MAX_IMPORT_PIXELS, type ModelSize, type RgbaImage } from '../shared/image-convert'
import { EngineError } from './errors'

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

/** Decodes a PNG or JPEG file's bytes to RGBA, refusing corrupt, empty and oversized images by name. */
export function decodeImageFile(bytes: Uint8Array, name: string): RgbaImage {
  if (bytes.length === 0) throw new EngineError('image-invalid', `${name}: the file is empty`)
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8
  if (isPng(bytes)) {
    const width = new DataView(bytes.buffer, bytes.byteOffset).getUint32(16)
    const height = new DataView(bytes.buffer, bytes.byteOffset).getUint32(20)
    checkSize(name, width, height)
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) }
    } catch (error) {
      throw new EngineError('image-invalid', `${name}: corrupt PNG (${(error as Error).message})`)
    }
  }
  if (isJpeg) {
    try {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMPORT_PIXELS / 1e6, maxMemoryUsageInMB: 1024 })
      checkSize(name, image.width, image.height)
      return { width: image.width, height: image.height, data: image.data }
    } catch (error) {
      if (error instanceof EngineError) throw error
      throw new EngineError('image-invalid', `${name}: corrupt or unsupported JPEG (${(error as Error).message})`)
    }
  }
  throw new EngineError('image-invalid', `${name}: not a PNG or JPEG image`)
}

function checkSize(name: string, width: number, height: number): void {
  if (width === 0 || height === 0) throw new EngineError('image-invalid', `${name}: the image has no pixels (${width}x${height})`)
  if (width * height > MAX_IMPORT_PIXELS) {
    throw new EngineError('image-invalid', `${name}: ${width}x${height} is too large (at most ${MAX_IMPORT_PIXELS / 1e6} megapixels)`)
  }
}
