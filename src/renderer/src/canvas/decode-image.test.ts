import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { decodeImageFile, readFileHeader } from './decode-image'

const IMAGES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'images')

function pngBytes(width: number, height: number): Uint8Array<ArrayBuffer> {
  const image = new PNG({ width: 1, height: 1 })
  const bytes = new Uint8Array(PNG.sync.write(image)) as Uint8Array<ArrayBuffer>
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(16, width)
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(20, height)
  return bytes
}

// No createImageBitmap here (Node): a test that reaches the browser decoder fails with a
// ReferenceError, so these show that the header is checked before any decoding starts.
describe('the renderer checks the header before decoding', () => {
  it('refuses an image over the pixel limit by name, without decoding it', async () => {
    const file = new File([pngBytes(10_000, 10_000)], 'huge.png', { type: 'image/png' })
    await expect(decodeImageFile(file)).rejects.toThrow('huge.png: 10000x10000 is too large (at most 64 megapixels)')
  })

  it('names the file when a PNG is shorter than its header', async () => {
    const file = new File([pngBytes(4, 4).subarray(0, 20)], 'tiny.png')
    await expect(decodeImageFile(file)).rejects.toThrow('tiny.png: the PNG is cut short (20 bytes; its header alone is 24)')
  })

  it('reads the dimensions of every fixture format, the EXIF-rotated JPEG as stored', async () => {
    const read = async (name: string) => readFileHeader(new File([readFileSync(join(IMAGES, name))], name))
    expect(await read('exif-rotated.jpg')).toMatchObject({ width: 4, height: 6, type: 'jpg' })
    expect(await read('lossless.webp')).toMatchObject({ width: 6, height: 4, type: 'webp' })
    expect(await read('gray16.png')).toMatchObject({ width: 6, height: 4, type: 'png' })
    // the 639-byte JPEG claims 49 MP: under the limit, so it is the decoder's to refuse
    expect(await read('bomb-7000x7000.jpg')).toMatchObject({ width: 7000, height: 7000 })
  })

  it('finds dimensions that lie past the first megabyte (a JPEG with large metadata)', async () => {
    const jpeg = readFileSync(join(IMAGES, 'exif-rotated.jpg'))
    // SOI, then 20 APP segments of 64 KB before the original segments
    const app = Buffer.alloc(65_535 + 2)
    app.writeUInt16BE(0xffe5, 0)
    app.writeUInt16BE(65_535, 2)
    const big = Buffer.concat([jpeg.subarray(0, 2), ...Array.from({ length: 20 }, () => app), jpeg.subarray(2)])
    expect(big.length).toBeGreaterThan(1024 * 1024)
    expect(await readFileHeader(new File([big], 'big-exif.jpg'))).toMatchObject({ width: 4, height: 6 })
  })
})
