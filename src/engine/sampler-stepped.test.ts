import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Condition } from '../shared/jobs'
import type { SamplerSettings } from '../shared/manifest'
import { Engine } from './engine'
import type { GradientField } from './gradient-field'
import { OnnxDescentStepper } from './onnx-step'
import { descend } from './sampler'
import { SHIPPED_MODELS } from '../../test/support/paths'
import { expectSameDescent, graphOnly, startingSamples, trace } from '../../test/support/descent-trace'

/**
 * The step graph (step-graph.ts) against today's host sampler on the real embedded model, CPU
 * provider: two independent descents from the same noise, states compared after every step.
 */
const engine = new Engine({ modelRoots: [SHIPPED_MODELS], provider: 'cpu', shippedModels: null })
let host: GradientField
let graph: GradientField
let stepper: OnnxDescentStepper
let stepper4: OnnxDescentStepper
let graph4: GradientField

beforeAll(async () => {
  const entry = engine.model('fashion-mnist')
  host = await engine.field(entry)
  stepper = await OnnxDescentStepper.load(entry.file(entry.manifest.files.gradient!), entry.manifest, 'cpu')
  graph = graphOnly(host, stepper)
  // four steps a call: the states stay in the call between steps, the host sees every fourth
  stepper4 = await OnnxDescentStepper.load(entry.file(entry.manifest.files.gradient!), entry.manifest, 'cpu', 4)
  graph4 = { ...graph, stepper: stepper4 }
}, 60_000)

afterAll(async () => {
  await stepper?.release()
  await stepper4?.release()
  await engine.dispose()
})

const cases: { name: string; settings: SamplerSettings; conditions: Condition[]; held?: boolean }[] = [
  { name: 'GD with CFG', settings: { method: 'gd', stepSize: 0.02, mu: 0, maxSteps: 30, stopGradNorm: 0.35, cfg: 3 }, conditions: [{ classIndex: 7, weight: 1 }] },
  { name: 'NAG with CFG (the manifest settings)', settings: { method: 'nag', stepSize: 0.02, mu: 0.3, maxSteps: 50, stopGradNorm: 0.35, cfg: 3 }, conditions: [{ classIndex: 0, weight: 1 }] },
  {
    name: 'NAG composition with a negative weight',
    settings: { method: 'nag', stepSize: 0.02, mu: 0.3, maxSteps: 40, stopGradNorm: 0.35, cfg: 2 },
    conditions: [{ classIndex: 3, weight: 1 }, { classIndex: 8, weight: -0.4 }]
  },
  {
    name: 'NAG with guidance by place (the manifest default: CFG 1.25 until the RMS falls under 3, then 4)',
    settings: { method: 'nag', stepSize: 0.02, mu: 0.3, maxSteps: 50, stopGradNorm: 0.15, cfg: 4, farCfg: 1.25, farUntilRms: 3 },
    conditions: [{ classIndex: 6, weight: 1 }]
  },
  { name: 'GD without guidance, held pixels', settings: { method: 'gd', stepSize: 0.05, mu: 0, maxSteps: 20, stopGradNorm: 0.2, cfg: 0 }, conditions: [], held: true }
]

describe('the descent-step graph equals the host sampler step by step', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const size = host.sampleSize
      let freedom: Float32Array | undefined
      if (c.held) {
        freedom = new Float32Array(size)
        for (let i = 0; i < size; i++) freedom[i] = i < size / 2 ? 1 : i < (size * 3) / 4 ? 0.5 : 0
      }
      const a = await trace(host, startingSamples(5, size, freedom), c.settings, c.conditions)
      const b = await trace(graph, startingSamples(5, size, freedom), c.settings, c.conditions)
      expect(b.steps).toEqual(a.steps)
      expectSameDescent(a, b, size, c.settings.stopGradNorm)
      // four steps a call: the same states at every fourth step, the same stop steps
      const b4 = await trace(graph4, startingSamples(5, size, freedom), c.settings, c.conditions)
      expect(b4.steps.length).toBe(Math.ceil(a.steps.length / 4))
      expectSameDescent(a, b4, size, c.settings.stopGradNorm)
      // the case must exercise the stop rule where it has one, or it proves less than it says
      if (c.settings.stopGradNorm > 0 && c.name.includes('manifest')) expect(a.outcomes.some((o) => o.stopped === 'threshold')).toBe(true)
      // guidance by place must switch inside the descent (far until some step, near after), or it proves nothing
      if (c.settings.farUntilRms) {
        const crossed = a.norms.some((n, step) => step > 0 && n.some((v, s) => v < c.settings.farUntilRms! && a.norms[step - 1][s] >= c.settings.farUntilRms!))
        expect(crossed).toBe(true)
      }
    }, 60_000)
  }
})

describe('a NaN gradient on the graph path', () => {
  it('names the model, as the host path does', async () => {
    const size = host.sampleSize
    const settings: SamplerSettings = { method: 'nag', stepSize: 0.02, mu: 0.3, maxSteps: 3, stopGradNorm: 0, cfg: 2 }
    const poisoned = () => {
      const samples = startingSamples(2, size)
      samples[1].x[5] = Number.NaN
      return samples
    }
    const conditions = [{ classIndex: 3, weight: 1 }]
    const hostError = await descend(host, poisoned(), { ...settings, conditions }).then(() => null, (error: Error) => error)
    const graphError = await descend(graph, poisoned(), { ...settings, conditions }).then(() => null, (error: Error) => error)
    expect(hostError?.message).toBe('fashion-mnist: the model returned NaN or infinite gradients')
    expect(graphError?.message).toBe(hostError?.message)
    expect((graphError as { code?: string } | null)?.code).toBe('model-output')
  }, 60_000)
})
