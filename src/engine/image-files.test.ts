import { describe, expect, it } from 'vitest'
import { PNG } from 'pngjs'
import jpeg from 'jpeg-js'
import { decodeImageFile, encodeModelPng } from './image-files'
import { readPngText, withPngText } from '../shared/png-text'
import { rgbaToModel, centreCrop } from '../shared/image-convert'

function png(width: number, height: number): Uint8Array {
  const image = new PNG({ width, height })
  image.data.fill(200)
  return new Uint8Array(PNG.sync.write(image))
}

describe('image files', () => {
  it('decodes PNG and JPEG to RGBA', () => {
    expect(decodeImageFile(png(3, 2), 'a.png')).toMatchObject({ width: 3, height: 2 })
    const jpg = jpeg.encode({ width: 4, height: 4, data: Buffer.alloc(64, 128) }, 90).data
    expect(decodeImageFile(new Uint8Array(jpg), 'a.jpg')).toMatchObject({ width: 4, height: 4 })
  })

  it('refuses empty, foreign, truncated and oversized files by name', () => {
    expect(() => decodeImageFile(new Uint8Array(), 'e.png')).toThrow('e.png: the file is empty')
    expect(() => decodeImageFile(new TextEncoder().encode('GIF89a....'), 'g.gif')).toThrow('g.gif: not a PNG or JPEG image')
    expect(() => decodeImageFile(png(8, 8).subarray(0, 60), 't.png')).toThrow(/t.png: corrupt PNG/)
    // a header claiming 100k x 100k pixels is refused before any allocation
    const huge = png(1, 1)
    new DataView(huge.buffer).setUint32(16, 100_000)
    new DataView(huge.buffer).setUint32(20, 100_000)
    expect(() => decodeImageFile(huge, 'h.png')).toThrow(/h.png: 100000x100000 is too large/)
    expect(() => decodeImageFile(new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]), 'c.jpg')).toThrow(/c.jpg: corrupt or unsupported JPEG/)
  })

  it('round-trips the parameters chunk and replaces an old one', () => {
    const first = withPngText(png(2, 2), '{"seed":1}')
    const second = withPngText(first, '{"seed":2}')
    expect(readPngText(second)).toBe('{"seed":2}')
    expect(second.length).toBe(first.length)
    expect(readPngText(png(2, 2))).toBeNull()
    const decoded = PNG.sync.read(Buffer.from(second))
    expect(decoded.width).toBe(2)
  })

  it('encodes model bytes as PNG with text', () => {
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => i * 16)
    const file = encodeModelPng(bytes, { channels: 1, width: 4, height: 4 }, 'hello')
    const decoded = PNG.sync.read(Buffer.from(file))
    expect(Array.from({ length: 16 }, (_, i) => decoded.data[i * 4])).toEqual(Array.from(bytes))
    expect(readPngText(file)).toBe('hello')
  })
})

describe('what the model sees', () => {
  it('centre-crops to the model aspect and area-averages', () => {
    expect(centreCrop(100, 50, 1)).toEqual({ x: 25, y: 0, width: 50, height: 50 })
    // left half black, right half white, 4x2 -> 2x1 after cropping to 2x2 centre: one black, one white
    const rgba = new Uint8Array(4 * 2 * 4)
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) rgba.fill(x < 2 ? 0 : 255, (y * 4 + x) * 4, (y * 4 + x) * 4 + 3), (rgba[(y * 4 + x) * 4 + 3] = 255)
    expect(Array.from(rgbaToModel({ width: 4, height: 2, data: rgba }, { channels: 1, width: 2, height: 2 }))).toEqual([0, 255, 0, 255])
    expect(Array.from(rgbaToModel({ width: 4, height: 2, data: rgba }, { channels: 1, width: 1, height: 1 }))).toEqual([128])
  })
})
