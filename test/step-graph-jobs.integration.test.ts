import { afterAll, describe, expect, it } from 'vitest'
import { PNG } from 'pngjs'
import { Engine } from '../src/engine/engine'
import { GRAPH_STEPS_PER_CALL } from '../src/engine/onnx-field'
import { base64ToBytes } from '../src/shared/base64'
import { SHIPPED_MODELS } from './support/paths'
import { shippedModelRepair } from './support/shipped-repair'
import { RecordingClient } from './support/recording-client'

/**
 * Jobs on the step graph (descentPath 'graph', K steps a call, what GPU providers take) against
 * the host path, on the CPU provider and the shipped model: the same images, frames every K
 * steps, and repairs that re-noise held pixels between steps left on the host path.
 */
const host = new Engine({ modelRoots: [SHIPPED_MODELS], provider: 'cpu', frameIntervalMs: 0, descentPath: 'host', shippedModels: null })
const graph = new Engine({ modelRoots: [SHIPPED_MODELS], provider: 'cpu', frameIntervalMs: 0, descentPath: 'graph', shippedModels: null })
afterAll(async () => {
  await host.dispose()
  await graph.dispose()
})

const pixels = (png: string) => PNG.sync.read(Buffer.from(base64ToBytes(png))).data

/** the same evaluations an image, and pixels within one level (float32 rounding may move one) */
function expectSameImages(host: { png: string; steps: number }[], graph: { png: string; steps: number }[]): void {
  graph.forEach((image, i) => {
    expect(image.steps).toBe(host[i].steps)
    const [p, q] = [pixels(image.png), pixels(host[i].png)]
    let diff = 0
    for (let j = 0; j < p.length; j++) diff = Math.max(diff, Math.abs(p[j] - q[j]))
    expect(diff, `image ${i}`).toBeLessThanOrEqual(1)
  })
}

describe('jobs on the K-step graph', () => {
  it('generate: the host path\'s images and stop steps, with frames every K steps', async () => {
    // the model's NAG-GD setting: the descent's stop rule runs inside the graph
    const descent = host.listModels().find((m) => m.id === 'fashion-mnist')!.samplerPresets.nag
    expect(descent?.method).toBe('nag')
    const job = { modelId: 'fashion-mnist', seed: 11, count: 4, conditions: [{ classIndex: 7, weight: 1 }], previewEvery: 1, sampler: descent }
    const client = new RecordingClient(graph)
    const a = await host.call('generate', { ...job, jobId: 'host' })
    const b = await graph.call('generate', { ...job, jobId: 'graph' }, client)
    expectSameImages(a.images, b.images)
    const steps = client.frames.map((f) => f.step)
    expect(steps.length).toBeGreaterThan(1)
    for (const step of steps.slice(0, -1)) expect(step % GRAPH_STEPS_PER_CALL).toBe(0)
  }, 60_000)

  it('generate on the clock (the default): the host path\'s images, with frames at the step boundaries calls end on', async () => {
    const { sampler } = host.listModels().find((m) => m.id === 'fashion-mnist')!
    expect(sampler.method).toBe('clock')
    const job = { modelId: 'fashion-mnist', seed: 12, count: 4, conditions: [{ classIndex: 3, weight: 1 }], previewEvery: 1 }
    const client = new RecordingClient(graph)
    const a = await host.call('generate', { ...job, jobId: 'host-clock' })
    const b = await graph.call('generate', { ...job, jobId: 'graph-clock' }, client)
    expectSameImages(a.images, b.images)
    // a Heun step is two evaluations: K a call puts a step boundary at every 2K evaluations, K steps
    const steps = client.frames.map((f) => f.step)
    expect(steps.length).toBeGreaterThan(1)
    for (const step of steps.slice(0, -1)) expect(step % GRAPH_STEPS_PER_CALL).toBe(0)
    expect(steps[steps.length - 1]).toBe(sampler.maxSteps)
  }, 60_000)

  it('repair with held pixels runs on the host path: the same bytes as the host engine', async () => {
    const image = new Uint8Array(28 * 28).map((_, i) => (i * 7) % 256)
    const mask = new Uint8Array(28 * 28).map((_, i) => (i % 28 < 14 ? 255 : 0))
    const job = shippedModelRepair(image, mask, { seed: 5, strength: 0.8, conditions: [{ classIndex: 2, weight: 1 }] })
    const a = await host.call('repair', { ...job, jobId: 'host-repair' })
    const b = await graph.call('repair', { ...job, jobId: 'graph-repair' })
    expect(Buffer.from(pixels(b.images[0].png)).equals(Buffer.from(pixels(a.images[0].png)))).toBe(true)
    expect(b.images[0].steps).toBe(a.images[0].steps)
  }, 60_000)
})
