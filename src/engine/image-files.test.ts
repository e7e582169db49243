import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import jpeg from 'jpeg-js'
import { encodeModelPng } from './image-files'
import { decodeImageFile } from './image-decode'
import { readPngText, withPngText } from '../shared/png-text'
import { rgbaToModel, centreCrop } from '../shared/image-convert'

function png(width: number, height: number): Uint8Array {
  const image = new PNG({ width, height })
  image.data.fill(200)
  return new Uint8Array(PNG.sync.write(image))
}

const IMAGES = join(__dirname, '..', '..', 'test', 'fixtures', 'images')
const fixture = (name: string) => new Uint8Array(readFileSync(join(IMAGES, name)))
/** mean of the R channel over the left and the right half (the fixtures: dark left, light right) */
function halves(image: { width: number; height: number; data: ArrayLike<number> }): [number, number] {
  const sums = [0, 0]
  for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) sums[x < image.width / 2 ? 0 : 1] += image.data[(y * image.width + x) * 4]
  const half = (image.width / 2) * image.height
  return [sums[0] / half, sums[1] / half]
}

describe('image files', () => {
  it('decodes PNG and JPEG to RGBA', async () => {
    expect(await decodeImageFile(png(3, 2), 'a.png')).toMatchObject({ width: 3, height: 2 })
    const jpg = jpeg.encode({ width: 4, height: 4, data: Buffer.alloc(64, 128) }, 90).data
    expect(await decodeImageFile(new Uint8Array(jpg), 'a.jpg')).toMatchObject({ width: 4, height: 4 })
  })

  it.each([
    ['exif-rotated.jpg', 40, 200, 255],
    ['cmyk.jpg', 66, 190, 255],
    ['gray16.png', 40, 200, 255],
    ['palette-alpha.png', 40, 200, 0],
    ['lossless.webp', 40, 200, 255],
    ['plain.tiff', 40, 200, 255]
  ])('decodes %s as it is seen: 6x4, dark left, light right, 8-bit RGBA', async (name, dark, light, alpha) => {
    const image = await decodeImageFile(fixture(name), name)
    expect([image.width, image.height, image.data.length]).toEqual([6, 4, 6 * 4 * 4])
    const [left, right] = halves(image)
    expect(left).toBeCloseTo(dark, -1)
    expect(right).toBeCloseTo(light, -1)
    expect(image.data[3]).toBe(alpha)
  })

  it('refuses empty, foreign, truncated and oversized files by name', async () => {
    await expect(decodeImageFile(new Uint8Array(), 'e.png')).rejects.toThrow('e.png: the file is empty')
    await expect(decodeImageFile(new TextEncoder().encode('hello, not an image'), 'g.txt')).rejects.toThrow('g.txt: not an image this app can read')
    await expect(decodeImageFile(png(8, 8).subarray(0, 60), 't.png')).rejects.toThrow(/t.png: corrupt or unsupported image/)
    // under 24 bytes: the PNG header itself is cut short
    await expect(decodeImageFile(png(8, 8).subarray(0, 20), 'short.png')).rejects.toThrow('short.png: the PNG is cut short (20 bytes; its header alone is 24)')
    // a header claiming 100k x 100k pixels is refused before any allocation
    const huge = png(1, 1)
    new DataView(huge.buffer).setUint32(16, 100_000)
    new DataView(huge.buffer).setUint32(20, 100_000)
    await expect(decodeImageFile(huge, 'h.png')).rejects.toThrow(/h.png: 100000x100000 is too large \(at most 64 megapixels\)/)
    await expect(decodeImageFile(new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]), 'c.jpg')).rejects.toThrow(/c.jpg: the image header is cut short or corrupt/)
  })

  it('a 639-byte JPEG claiming 7000x7000 fails by name in under 0.5 s and 300 MB', () => {
    // in a fresh process, so that its peak memory is the decode's alone
    const script = `
      const loaded = await import(${JSON.stringify(join(__dirname, 'image-decode.ts'))})
      const { decodeImageFile } = loaded.decodeImageFile ? loaded : loaded.default
      const bytes = new Uint8Array(require('node:fs').readFileSync(${JSON.stringify(join(IMAGES, 'bomb-7000x7000.jpg'))}))
      const start = performance.now()
      let message = ''
      try { await decodeImageFile(bytes, 'bomb.jpg') } catch (error) { message = error.message }
      console.log(JSON.stringify({ message, ms: performance.now() - start, rssMB: process.resourceUsage().maxRSS / 1024, size: bytes.length }))`
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);${script}`], { encoding: 'utf8', cwd: join(__dirname, '..', '..') })
    expect(run.status, run.stderr).toBe(0)
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!)
    expect(result.size).toBe(639)
    expect(result.message).toMatch(/^bomb.jpg: corrupt or unsupported image \(.*premature end/)
    expect(result.ms).toBeLessThan(500)
    expect(result.rssMB).toBeLessThan(300)
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
