import { afterAll, describe, expect, it } from 'vitest'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { Engine } from '../src/engine/engine'
import { base64ToBytes, bytesToBase64 } from '../src/shared/base64'
import { readPngText } from '../src/shared/png-text'
import { FIXTURE_MODELS } from './support/paths'
import { RecordingClient } from './support/recording-client'

const engine = new Engine({ modelRoots: [FIXTURE_MODELS], frameIntervalMs: 0 })
afterAll(() => engine.dispose())

const quadratic = { modelId: 'quadratic', seed: 7, count: 4, conditions: [{ classIndex: 2, weight: 1 }] }

function pixels(pngBase64: string): Uint8Array {
  const png = PNG.sync.read(Buffer.from(base64ToBytes(pngBase64)))
  return Uint8Array.from({ length: png.width * png.height }, (_, i) => png.data[i * 4])
}

describe('engine on real ONNX models (onnxruntime-node, CPU)', () => {
  it('lists the valid fixture models and reports the broken ones', () => {
    expect(engine.listModels().map((m) => m.id)).toEqual(['nan-output', 'quadratic', 'wrong-shape'])
    expect(engine.modelProblems.map((p) => p.message).join()).toMatch(/missing-file: the gradient file grad.onnx is missing/)
    // a file that is not ONNX at all is found when the folder is scanned, not at the first job
    expect(engine.modelProblems.map((p) => p.message).join()).toMatch(/corrupt: the gradient file grad.onnx is not a whole ONNX model/)
  })

  it('generates: frames stream with acks, images descend to the class minimum', async () => {
    const client = new RecordingClient(engine)
    const result = await engine.call('generate', { ...quadratic, jobId: 'gen-1', sampler: { stopGradNorm: 0.002, maxSteps: 80 } }, client)
    expect(result.images).toHaveLength(4)
    for (const image of result.images) {
      expect(image.stopped).toBe('threshold')
      // class "light" has mu = 0.8 in [-1, 1], i.e. byte 229.5
      for (const v of pixels(image.png)) expect(Math.abs(v - 229.5)).toBeLessThanOrEqual(1)
    }
    expect(client.frames.length).toBeGreaterThan(3)
    const norms = client.frames.map((f) => Math.max(...f.gradNorms))
    expect(norms[norms.length - 1]).toBeLessThan(norms[0])
    expect(client.jobStates('gen-1')).toEqual(['queued', 'running', 'done'])
    expect(result.evaluations).toBe(result.images.reduce((n, i) => n + i.steps, 0))
  })

  it('sends the explicit energy with frames where the model has one, falling as samples descend', async () => {
    const client = new RecordingClient(engine)
    await engine.call('generate', { ...quadratic, count: 2, jobId: 'energy-1', sampler: { stopGradNorm: 0, maxSteps: 200 } }, client)
    const withEnergy = client.frames.filter((f) => f.energies)
    expect(withEnergy.length).toBeGreaterThan(1)
    for (const frame of withEnergy) expect(frame.energies).toHaveLength(2)
    // one exact pass, with the last frame: frames before it carry the change since the start,
    // which the last frame's offsets put on the exact scale
    const last = withEnergy[withEnergy.length - 1]
    expect(last.energyKind).toBe('exact')
    expect(withEnergy.slice(0, -1).every((f) => f.energyKind === 'change')).toBe(true)
    expect(withEnergy[0].energies![0]).toBeLessThan(0)
    const first = withEnergy[0].energies![0] + last.energyOffsets![0]
    // E = 1/2 ||x - mu||^2 over 64 elements: from ~32 at noise to ~0 at the minimum
    expect(first).toBeGreaterThan(5)
    expect(last.energies![0]).toBeLessThan(first / 10)
  })

  it('delivers the last frame, with its exact energies, to a window that has not acked the one before', async () => {
    const slow = new Engine({ modelRoots: [FIXTURE_MODELS], frameIntervalMs: 1000 })
    try {
      const client = new RecordingClient(slow, false)
      await slow.call('generate', { ...quadratic, count: 2, jobId: 'energy-slow', sampler: { stopGradNorm: 0, maxSteps: 30 } }, client)
      // the first frame is still awaiting its ack: every frame after it waited, but not the last
      expect(client.frames.map((f) => f.step)).toEqual([1, 30])
      const last = client.frames[1]
      expect(last.energyKind).toBe('exact')
      expect(last.energyOffsets).toHaveLength(2)
      expect(last.gradNorms).toHaveLength(2)
    } finally {
      await slow.dispose()
    }
  })

  it('stop-and-keep still ends with a last frame: the kept states, their exact energies, none active', async () => {
    const client = new RecordingClient(engine)
    client.onFrame = (frame) => {
      if (frame.step === 3) void engine.call('stop', { jobId: 'stop-keep-1' }, client)
    }
    const result = await engine.call('generate', { ...quadratic, count: 2, jobId: 'stop-keep-1', sampler: { stopGradNorm: 0, maxSteps: 5000 } }, client)
    expect(result.images.every((image) => image.stopped === 'stopped-early')).toBe(true)
    const last = client.frames[client.frames.length - 1]
    expect(last.step).toBeLessThan(100)
    expect(last.active).toBe(0)
    expect(last.energyKind).toBe('exact')
    expect(last.energyOffsets).toHaveLength(2)
    expect(client.frames.slice(0, -1).every((f) => f.energyKind === 'change')).toBe(true)
  })

  it('with energyAnchor inline, anchors the estimate after the first frame instead', async () => {
    const inline = new Engine({ modelRoots: [FIXTURE_MODELS], frameIntervalMs: 0, energyAnchor: 'inline' })
    try {
      const client = new RecordingClient(inline)
      await inline.call('generate', { ...quadratic, count: 2, jobId: 'energy-2', sampler: { stopGradNorm: 0, maxSteps: 200 } }, client)
      // the first frame goes out before any energy pass; the last carries exact energies, frames between the estimate
      expect(client.frames[0].energies).toBeUndefined()
      const withEnergy = client.frames.filter((f) => f.energies)
      expect(withEnergy[withEnergy.length - 1].energyKind).toBe('exact')
      expect(withEnergy[withEnergy.length - 1].energyOffsets).toBeUndefined()
      expect(withEnergy.slice(0, -1).every((f) => f.energyKind === 'estimate')).toBe(true)
      expect(withEnergy[0].energies![0]).toBeGreaterThan(5)
    } finally {
      await inline.dispose()
    }
  })

  it('gives byte-identical output for the same seed and parameters', async () => {
    const a = await engine.call('generate', { ...quadratic, jobId: 'same-a', sampler: { maxSteps: 5, stopGradNorm: 0 } })
    const b = await engine.call('generate', { ...quadratic, jobId: 'same-b', sampler: { maxSteps: 5, stopGradNorm: 0 } })
    const c = await engine.call('generate', { ...quadratic, seed: 8, jobId: 'same-c', sampler: { maxSteps: 5, stopGradNorm: 0 } })
    expect(a.images.map((i) => i.png)).toEqual(b.images.map((i) => i.png))
    expect(a.images.map((i) => i.png)).not.toEqual(c.images.map((i) => i.png))
    // image 1 of the seed-7 job is image 0 of a count-1 job seeded 8
    expect(pixels(c.images[0].png)).toEqual(pixels(a.images[1].png))
  })

  it('writes the exact parameters into each PNG', async () => {
    const result = await engine.call('generate', { ...quadratic, count: 1, jobId: 'params-1', sampler: { maxSteps: 3 } })
    const params = JSON.parse(readPngText(base64ToBytes(result.images[0].png))!)
    expect(params).toMatchObject({ kind: 'generate', modelId: 'quadratic', seed: 7, count: 1, conditions: [{ classIndex: 2, className: 'light', weight: 1 }] })
    expect(params.sampler).toEqual({ method: 'gd', stepSize: 0.2, mu: 0.3, maxSteps: 3, stopGradNorm: 0.01, cfg: 1 })
  })

  it('cancels mid-job and serves the next job', async () => {
    const client = new RecordingClient(engine)
    client.onFrame = (frame) => {
      if (frame.step >= 3) void engine.call('cancel', { jobId: 'long-1' }, client)
    }
    const run = engine.call('generate', { ...quadratic, jobId: 'long-1', sampler: { maxSteps: 5000, stopGradNorm: 0 } }, client)
    await expect(run).rejects.toMatchObject({ code: 'cancelled' })
    expect(client.frames[client.frames.length - 1].step).toBeLessThan(100)
    expect(client.jobStates('long-1')).toEqual(['queued', 'running', 'cancelled'])
    const next = await engine.call('generate', { ...quadratic, count: 1, jobId: 'after-cancel', sampler: { maxSteps: 2 } })
    expect(next.images).toHaveLength(1)
  })

  it.each([
    ['missing-file', /the gradient file grad.onnx is missing/],
    ['corrupt', /corrupt: the gradient file grad.onnx is not a whole ONNX model/],
    ['wrong-shape', /grad has shape \[B, 1, 4, 4\], the manifest promises \[B, 1, 8, 8\]/],
    ['nan-output', /returned NaN or infinite gradients/],
    ['no-such-model', /unknown model "no-such-model"/]
  ])('%s gives a clear error and the engine keeps serving', async (modelId, message) => {
    await expect(engine.call('generate', { ...quadratic, modelId, jobId: `bad-${modelId}` })).rejects.toThrow(message)
    const next = await engine.call('generate', { ...quadratic, count: 1, jobId: `ok-after-${modelId}`, sampler: { maxSteps: 2 } })
    expect(next.images).toHaveLength(1)
  })

  it('refuses unknown methods and a second job with a running job\'s id, and the first job carries on', async () => {
    await expect(engine.call('constructor' as never, {})).rejects.toMatchObject({ code: 'unknown-method' })
    const client = new RecordingClient(engine)
    const first = engine.call('generate', { ...quadratic, jobId: 'twice', sampler: { maxSteps: 300, stopGradNorm: 0 } }, client)
    await expect(engine.call('generate', { ...quadratic, jobId: 'twice' }, client)).rejects.toThrow(/already queued or running/)
    // job ids are per client: another client's 'twice' is its own job, and cannot cancel the first
    await expect(engine.call('cancel', { jobId: 'twice' })).resolves.toEqual({ cancelled: false })
    await expect(first).resolves.toMatchObject({ jobId: 'twice' })
    expect(client.jobStates('twice')).toEqual(['queued', 'running', 'done'])
  })

  it('refuses bad parameters by name', async () => {
    await expect(engine.call('generate', { ...quadratic, jobId: 'bad-class', conditions: [{ classIndex: 9, weight: 1 }] })).rejects.toThrow(/class index 9 does not exist: quadratic has 4 classes/)
    await expect(engine.call('generate', { ...quadratic, jobId: 'bad-steps', sampler: { stepSize: -1 } })).rejects.toThrow(/sampler.stepSize/)
    await expect(engine.call('generate', { ...quadratic, jobId: 'x', count: 0 })).rejects.toThrow(/count/)
  })

  it('repairs: unmasked pixels stay exactly, the masked region moves toward the minimum', async () => {
    const size = 64
    const image = new Uint8Array(size).fill(40)
    const mask = new Uint8Array(size).map((_, i) => (i % 8 < 4 ? 255 : 0))
    const result = await engine.call('repair', {
      jobId: 'repair-1',
      modelId: 'quadratic',
      seed: 3,
      image: { width: 8, height: 8, channels: 1, data: bytesToBase64(image) },
      mask: { width: 8, height: 8, channels: 1, data: bytesToBase64(mask) },
      strength: 0.8,
      conditions: [{ classIndex: 2, weight: 1 }],
      sampler: { maxSteps: 80, stopGradNorm: 0.002 }
    })
    const out = pixels(result.images[0].png)
    for (let i = 0; i < size; i++) {
      if (mask[i] === 0) expect(out[i]).toBe(40)
      else expect(Math.abs(out[i] - 229.5)).toBeLessThanOrEqual(1)
    }
  })

  it('refuses to classify with a model that has no classifier, by name', async () => {
    const image = { width: 8, height: 8, channels: 1, data: bytesToBase64(new Uint8Array(64).fill(128)) }
    await expect(engine.call('image.classify', { modelId: 'quadratic', image })).rejects.toThrow(/quadratic has no classifier/)
    // (a wrong-sized image for a model that has a classifier: test/shipped-model.test.ts)
  })

  it('scores OOD with the manifest calibration', async () => {
    const near = new Uint8Array(64).fill(128) // ~0 in [-1, 1]: the null class minimum
    const far = new Uint8Array(64).fill(255)
    const { results } = await engine.call('ood.score', {
      modelId: 'quadratic',
      images: [
        { name: 'near', image: { width: 8, height: 8, channels: 1, data: bytesToBase64(near) } },
        { name: 'far', image: { width: 8, height: 8, channels: 1, data: bytesToBase64(far) } }
      ]
    })
    expect(results[0]).toMatchObject({ name: 'near', flagged: false })
    expect(results[0].score).toBeLessThan(0.01)
    expect(results[1]).toMatchObject({ name: 'far', flagged: true, percentile: 1 })
    expect(results[1].score).toBeCloseTo(1, 5)
  })

  it('scores OOD by the explicit energy when the calibration says so', async () => {
    const root = mkdtempSync(join(tmpdir(), 'eqm-energy-'))
    cpSync(join(FIXTURE_MODELS, 'quadratic'), join(root, 'quadratic'), { recursive: true })
    const file = join(root, 'quadratic', 'manifest.json')
    const manifest = JSON.parse(readFileSync(file, 'utf8'))
    manifest.ood = { score: 'energy', quantiles: [[0, 0], [1, 4]], threshold: 2, tpr: 0.95 }
    writeFileSync(file, JSON.stringify(manifest))
    const energyEngine = new Engine({ modelRoots: [root] })
    const { results } = await energyEngine.call('ood.score', {
      images: [
        { name: 'mid', image: { width: 8, height: 8, channels: 1, data: bytesToBase64(new Uint8Array(64).fill(128)) } },
        { name: 'white', image: { width: 8, height: 8, channels: 1, data: bytesToBase64(new Uint8Array(64).fill(255)) } }
      ]
    })
    await energyEngine.dispose()
    // E(x, null) = 1/2 * 64 * x^2: 0.5 * 64 * (1/255)^2 for mid gray, 32 for white
    expect(results[0].score).toBeCloseTo(0.5 * 64 * (1 / 255) ** 2, 5)
    expect(results[1]).toMatchObject({ score: 32, flagged: true })
  })

  it('reports the execution provider in use and why others are not', async () => {
    const info = await engine.call('engine.info', {})
    expect(info.providers.map((p) => p.name)).toEqual(['cuda', 'dml', 'coreml', 'webgpu', 'cpu'])
    const active = info.providers.find((p) => p.name === info.active)!
    expect(active.available).toBe(true)
    for (const p of info.providers.filter((p) => !p.available)) expect(p.reason).toBeTruthy()
  })
})
