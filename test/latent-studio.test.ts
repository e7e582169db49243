import { afterAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { Engine } from '../src/engine/engine'
import { readPngText } from '../src/shared/png-text'
import { ROOT } from './support/paths'
import { RecordingClient } from './support/recording-client'
import { canImport, eqm, importTinyLatentModel } from './support/latent-models'

// The latent studio end to end on a random-weight latent model and VAE built by the importers from
// the tiny reference fixtures (latent 4x8x8, 10 classes; the tiny VAE decodes to 16x16 RGB).
const built = existsSync(join(ROOT, 'out', 'main', 'cli.js'))
describe.skipIf(!canImport() || !built)('a latent model through the CLI and the engine (needs torch for the importers, and npm run build)', () => {
  const { root, modelId } = importTinyLatentModel()
  const work = mkdtempSync(join(tmpdir(), 'eqm-latent-out-'))
  const engine = new Engine({ modelRoots: [root], frameIntervalMs: 0 })
  afterAll(() => engine.dispose())

  it('is listed as runnable, with its VAE and the decoded image size', () => {
    const [info] = engine.listModels()
    expect(info).toMatchObject({ id: modelId, space: 'latent', shape: [4, 8, 8], imageShape: [3, 16, 16], vae: 'sd-vae-ft-ema' })
    expect(info.unavailable).toBeUndefined()
  })

  it('generates decoded RGB PNGs with the parameters chunk; the same seed gives the same bytes', () => {
    const run = (out: string) => eqm('generate', '--models', root, '--model', modelId, '--class', 'class 3', '--seed', '11', '--count', '2', '--steps', '12', '--cfg', '2', '--out', join(work, out))
    const first = run('a')
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(run('b').code).toBe(0)
    const names = readdirSync(join(work, 'a')).sort()
    expect(names).toEqual(['class-3-11.png', 'class-3-12.png'])
    for (const name of names) {
      const bytes = readFileSync(join(work, 'a', name))
      expect(bytes.equals(readFileSync(join(work, 'b', name)))).toBe(true)
      const png = PNG.sync.read(bytes)
      expect([png.width, png.height]).toEqual([16, 16])
      expect(JSON.parse(readPngText(bytes)!)).toMatchObject({ kind: 'generate', modelId, conditions: [{ classIndex: 3 }], sampler: { cfg: 2, maxSteps: 12 } })
    }
    // two seeds, two different images (the decoder is not constant)
    expect(readFileSync(join(work, 'a', names[0])).equals(readFileSync(join(work, 'a', names[1])))).toBe(false)
  }, 120_000)

  it('composes two classes: deterministic, and different from either class alone', () => {
    const compose = eqm('compose', '--models', root, '--model', modelId, '--class', 'class 1:1', '--class', 'class 7:1', '--seed', '5', '--steps', '10', '--out', join(work, 'c'))
    expect(compose.stderr).toBe('')
    expect(compose.code).toBe(0)
    const alone = eqm('generate', '--models', root, '--model', modelId, '--class', 'class 1', '--seed', '5', '--steps', '10', '--out', join(work, 'd'))
    expect(alone.code).toBe(0)
    const composed = readFileSync(join(work, 'c', 'compose-class-1+class-7-5.png'))
    expect(composed.equals(readFileSync(join(work, 'd', 'class-1-5.png')))).toBe(false)
  }, 120_000)

  it('generates on the clock too, guiding 3 of the 4 latent channels as the manifest says (partial guidance)', async () => {
    const [info] = engine.listModels()
    const job = { modelId, seed: 4, count: 2, conditions: [{ classIndex: 3, weight: 1 }], sampler: { method: 'clock' as const, maxSteps: 6, cfg: 2 }, previewEvery: 0 }
    const a = await engine.call('generate', { ...job, jobId: 'clock-a' })
    const b = await engine.call('generate', { ...job, jobId: 'clock-b' })
    expect(a.images.map((image) => image.steps)).toEqual([11, 11]) // 5 Heun steps of two calls and a last Euler step
    expect(a.images.map((image) => image.png)).toEqual(b.images.map((image) => image.png))
    const png = PNG.sync.read(Buffer.from(a.images[0].png, 'base64'))
    expect([png.width, png.height]).toEqual([16, 16])
    expect(info.space).toBe('latent')
  }, 120_000)

  it('streams live frames: true decodes (16x16 tiles) within the time budget, else the preview map (8x8 tiles)', async () => {
    const client = new RecordingClient(engine)
    const result = await engine.call('generate', { jobId: 'frames', modelId, seed: 3, count: 2, conditions: [{ classIndex: 2, weight: 1 }], sampler: { maxSteps: 30, stopGradNorm: 0 }, previewEvery: 1 }, client)
    expect(result.images.map((i) => [i.width, i.height])).toEqual([[16, 16], [16, 16]])
    const tiles = new Set(client.frames.map((f) => f.preview.tileWidth))
    expect(client.frames.length).toBeGreaterThan(5)
    expect(client.frames[0].preview.tileWidth).toBe(16) // the first frame is a true decode
    expect([...tiles].every((t) => t === 16 || t === 8)).toBe(true)
    for (const frame of client.frames) expect(frame.preview.channels).toBe(3)
  }, 120_000)

  it('cancels a running latent job', async () => {
    const client = new RecordingClient(engine)
    client.onFrame = (frame) => {
      if (frame.step >= 3) void engine.call('cancel', { jobId: 'to-cancel' }, client)
    }
    await expect(engine.call('generate', { jobId: 'to-cancel', modelId, seed: 1, count: 1, conditions: [], sampler: { maxSteps: 2000, stopGradNorm: 0 }, previewEvery: 1 }, client)).rejects.toThrow(/cancelled/)
    expect(Math.max(...client.frames.map((f) => f.step))).toBeLessThan(50)
  }, 120_000)
})
