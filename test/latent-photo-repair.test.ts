import { describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { decodeImageFile } from '../src/engine/image-decode'
import { readPngText } from '../src/shared/png-text'
import { ROOT } from './support/paths'
import { canImport, eqm, importTinyLatentModel } from './support/latent-models'

// Repair of a full-size, EXIF-rotated photo with a latent model through the CLI: only the painted
// region and its feather change; every other pixel is the photo as decoded (8-bit sRGB, rotated).
const built = existsSync(join(ROOT, 'out', 'main', 'cli.js'))
describe.skipIf(!canImport() || !built)('eqm repair on a photo with a latent model (needs torch for the importers, and npm run build)', () => {
  const { root, modelId } = importTinyLatentModel()
  const work = mkdtempSync(join(tmpdir(), 'eqm-photo-'))
  const photoPath = join(work, 'photo.jpg')
  const maskPath = join(work, 'mask.png')
  // stored 2000x1500 landscape with EXIF orientation 6: shown as 1500x2000 portrait
  const [storedW, storedH] = [2000, 1500]
  const [shownW, shownH] = [1500, 2000]
  const centre = { x: 700, y: 1200, r: 60 }
  const feather = 8

  it('changes the painted region and leaves every pixel outside it and its feather identical', async () => {
    const stored = Buffer.alloc(storedW * storedH * 3)
    for (let y = 0; y < storedH; y++)
      for (let x = 0; x < storedW; x++) {
        const i = (y * storedW + x) * 3
        stored[i] = (x * 255) / storedW
        stored[i + 1] = (y * 255) / storedH
        stored[i + 2] = 128 + 100 * Math.sin(x / 37) * Math.cos(y / 23)
      }
    writeFileSync(photoPath, await sharp(stored, { raw: { width: storedW, height: storedH, channels: 3 } }).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer())
    const mask = Buffer.alloc(shownW * shownH)
    for (let y = 0; y < shownH; y++) for (let x = 0; x < shownW; x++) if ((x - centre.x) ** 2 + (y - centre.y) ** 2 <= centre.r ** 2) mask[y * shownW + x] = 255
    writeFileSync(maskPath, await sharp(mask, { raw: { width: shownW, height: shownH, channels: 1 } }).png().toBuffer())

    const run = (out: string) => eqm('repair', '--models', root, '--model', modelId, '--in', photoPath, '--mask', maskPath, '--strength', '0.8', '--seed', '4', '--steps', '8', '--feather', String(feather), '--out', join(work, out))
    const first = run('a.png')
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(JSON.parse(first.lines[0])).toMatchObject({ width: shownW, height: shownH, context: { feather } })
    expect(run('b.png').code).toBe(0)
    const a = readFileSync(join(work, 'a.png'))
    expect(a.equals(readFileSync(join(work, 'b.png')))).toBe(true) // same seed, same bytes
    expect(JSON.parse(readPngText(a)!)).toMatchObject({ kind: 'repair', modelId, seed: 4, strength: 0.8 })

    const photo = await decodeImageFile(readFileSync(photoPath), 'photo.jpg')
    const result = await decodeImageFile(a, 'a.png')
    expect([result.width, result.height]).toEqual([shownW, shownH])
    let changedInside = 0
    let changedOutside = 0
    for (let y = 0; y < shownH; y++)
      for (let x = 0; x < shownW; x++) {
        const i = (y * shownW + x) * 4
        const same = photo.data[i] === result.data[i] && photo.data[i + 1] === result.data[i + 1] && photo.data[i + 2] === result.data[i + 2]
        const d = Math.hypot(x - centre.x, y - centre.y)
        if (d <= centre.r && !same) changedInside++
        // the feather reaches `feather` pixels along each axis: within a Chebyshev distance, so sqrt(2) along diagonals
        if (d > centre.r + feather * Math.SQRT2 + 1 && !same) changedOutside++
      }
    expect(changedOutside).toBe(0)
    expect(changedInside).toBeGreaterThan(0.9 * Math.PI * centre.r ** 2)
  }, 180_000)

  it('refuses a painted region that does not fit one context square, instead of ignoring paint', async () => {
    const tall = Buffer.alloc(shownW * shownH)
    for (let y = 100; y < 1700; y++) tall.fill(255, y * shownW + 100, y * shownW + 1400)
    const tallPath = join(work, 'tall-mask.png')
    writeFileSync(tallPath, await sharp(tall, { raw: { width: shownW, height: shownH, channels: 1 } }).png().toBuffer())
    const run = eqm('repair', '--models', root, '--model', modelId, '--in', photoPath, '--mask', tallPath, '--out', join(work, 'd.png'))
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(/the painted region \(1300x1600 at 100,100\) and its 8px feather do not fit one square context of this 1500x2000 photo \(at most 1500x1500\): repair it in parts/)
    expect(existsSync(join(work, 'd.png'))).toBe(false)
  }, 120_000)

  it('refuses a mask of another size, naming both files', () => {
    const wrong = join(work, 'wrong-mask.png')
    writeFileSync(wrong, readFileSync(join(ROOT, 'test', 'fixtures', 'images', 'palette-alpha.png')))
    const run = eqm('repair', '--models', root, '--model', modelId, '--in', photoPath, '--mask', wrong, '--out', join(work, 'c.png'))
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(/wrong-mask.png is \d+x\d+, the photo .*photo.jpg is 1500x2000/)
  }, 60_000)
})

describe.skipIf(!canImport())('repair.photo over the wire (the studio form: photo file bytes, the mask as its painted box)', () => {
  it('returns the context square: the repair where painted, the photo everywhere else in it', async () => {
    const { Engine } = await import('../src/engine/engine')
    const { base64ToBytes } = await import('../src/shared/base64')
    const { root, modelId } = importTinyLatentModel()
    const engine = new Engine({ modelRoots: [root], frameIntervalMs: 0 })
    try {
      // 300x200 stored, EXIF orientation 6: shown 200x300
      const stored = Buffer.alloc(300 * 200 * 3)
      for (let i = 0; i < stored.length; i++) stored[i] = (i * 31) % 200
      const file = await sharp(stored, { raw: { width: 300, height: 200, channels: 3 } }).png().withMetadata({ orientation: 6 }).toBuffer()
      const box = { x: 50, y: 120, width: 20, height: 10 }
      const params = {
        jobId: 'photo-1', modelId, seed: 2, strength: 0.9, sampler: { maxSteps: 6 }, previewEvery: 0, feather: 4,
        photo: { name: 'rotated.png', data: file.toString('base64') },
        mask: { ...box, data: Buffer.alloc(box.width * box.height, 255).toString('base64') }
      }
      const result = await engine.call('repair.photo', params)
      expect([result.photoWidth, result.photoHeight]).toEqual([200, 300])
      expect(result.params.context).toMatchObject({ feather: 4 })
      const again = await engine.call('repair.photo', { ...params, jobId: 'photo-2' })
      expect(again.patches[0].png).toBe(result.patches[0].png) // same seed, same bytes
      const photo = await decodeImageFile(file, 'rotated.png')
      const patch = await decodeImageFile(base64ToBytes(result.patches[0].png), 'patch.png')
      const { rect } = result
      let changedInside = 0
      for (let y = 0; y < rect.height; y++)
        for (let x = 0; x < rect.width; x++) {
          const px = rect.x + x
          const py = rect.y + y
          const p = (py * photo.width + px) * 4
          const q = (y * rect.width + x) * 4
          const same = [0, 1, 2].every((c) => photo.data[p + c] === patch.data[q + c])
          const painted = px >= box.x && px < box.x + box.width && py >= box.y && py < box.y + box.height
          const nearPaint = px >= box.x - 4 && px < box.x + box.width + 4 && py >= box.y - 4 && py < box.y + box.height + 4
          if (!nearPaint) expect(same).toBe(true)
          if (painted && !same) changedInside++
        }
      expect(changedInside).toBeGreaterThan(0.9 * box.width * box.height)
      await expect(engine.call('repair.photo', { ...params, jobId: 'photo-3', mask: { ...params.mask, x: 190 } })).rejects.toThrow(/reaches outside the 200x300 photo rotated.png/)
    } finally {
      await engine.dispose()
    }
  }, 120_000)
})
