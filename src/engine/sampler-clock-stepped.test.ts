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
 * The clock on the step graph (sampler-clock-stepped.ts) against the host clock (sampler-clock.ts)
 * on the real embedded model, CPU provider: the same noise, states compared at every step the
 * graph path reports (a step boundary at the end of a call).
 */
const engine = new Engine({ modelRoots: [SHIPPED_MODELS], provider: 'cpu', shippedModels: null })
let host: GradientField
const graphs = new Map<number, GradientField>()
const steppers: OnnxDescentStepper[] = []
let decay: { a: number; lambda: number } | undefined
let shipped: SamplerSettings

beforeAll(async () => {
  const entry = engine.model('fashion-mnist')
  host = await engine.field(entry)
  decay = entry.manifest.decay
  shipped = entry.manifest.sampler
  // 1 and 4 evaluations a call (calls end on step boundaries), 5 (the engine's: calls end inside a Heun step)
  for (const k of [1, 4, 5]) {
    const stepper = await OnnxDescentStepper.load(entry.file(entry.manifest.files.gradient!), entry.manifest, 'cpu', k)
    steppers.push(stepper)
    graphs.set(k, graphOnly(host, stepper))
  }
}, 60_000)

afterAll(async () => {
  for (const stepper of steppers) await stepper.release()
  await engine.dispose()
})

const clock = (changes: Partial<SamplerSettings>): SamplerSettings => ({ ...shipped, method: 'clock', ...changes })
const cases: { name: string; settings: () => SamplerSettings; conditions: Condition[]; held?: boolean }[] = [
  { name: "the shipped default (19 steps, CFG 1 until t 0.4, then 2)", settings: () => clock({}), conditions: [{ classIndex: 5, weight: 1 }] },
  { name: 'composition with a negative weight, one CFG throughout', settings: () => clock({ maxSteps: 9, cfg: 2.5, farCfg: undefined, farUntilTime: undefined }), conditions: [{ classIndex: 3, weight: 1 }, { classIndex: 8, weight: -0.4 }] },
  { name: 'no guidance far (CFG 0 until t 0.5), then CFG 3', settings: () => clock({ maxSteps: 8, cfg: 3, farCfg: 0, farUntilTime: 0.5 }), conditions: [{ classIndex: 1, weight: 1 }] },
  { name: 'unconditional, held pixels', settings: () => clock({ maxSteps: 7, cfg: 0, farCfg: undefined, farUntilTime: undefined }), conditions: [], held: true }
]

describe('the clock on the step graph equals the host clock', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const size = host.sampleSize
      let freedom: Float32Array | undefined
      if (c.held) freedom = new Float32Array(size).map((_, i) => (i < size / 2 ? 1 : i < (size * 3) / 4 ? 0.5 : 0))
      const settings = c.settings()
      const a = await trace(host, startingSamples(5, size, freedom), settings, c.conditions, { decay })
      expect(a.steps).toEqual(Array.from({ length: settings.maxSteps }, (_, i) => i + 1))
      for (const [k, graph] of graphs) {
        const b = await trace(graph, startingSamples(5, size, freedom), settings, c.conditions, { decay })
        // a step is two evaluations (the last one): the graph path reports the step boundaries calls end on
        const evaluations = 2 * settings.maxSteps - 1
        const boundaries = Array.from({ length: Math.ceil(evaluations / k) }, (_, call) => Math.min(evaluations, (call + 1) * k))
          .filter((e) => e % 2 === 0 || e === evaluations)
          .map((e) => Math.ceil(e / 2))
        expect(b.steps, `${k} evaluations a call`).toEqual(boundaries)
        expectSameDescent(a, b, size, -1)
        for (const outcome of b.outcomes) expect(outcome).toMatchObject({ steps: evaluations, stopped: 'max-steps' })
      }
      if (c.held) {
        // held elements stay bit-identical on the graph too
        const start = startingSamples(1, size, freedom)[0].x
        const b = await trace(graphs.get(5)!, startingSamples(1, size, freedom), settings, c.conditions, { decay })
        const last = b.states[b.states.length - 1][0]
        for (let i = (size * 3) / 4; i < size; i++) expect(last[i]).toBe(start[i])
      }
    }, 120_000)
  }
})

describe('the rows the clock on the step graph evaluates', () => {
  it('calls wholly on one guidance evaluate its rows only (CFG 1 far: the conditional row, as the host path does)', async () => {
    const inner = graphs.get(5)!.stepper!
    const rowsPerCall: number[] = []
    const counting: GradientField = { ...graphs.get(5)!, stepper: { stepsPerCall: 5, modelId: 'fashion-mnist', step: (input) => (rowsPerCall.push(input.labels.length / input.samples), inner.step(input)) } }
    await descend(counting, startingSamples(2, host.sampleSize), { ...clock({}), conditions: [{ classIndex: 4, weight: 1 }], decay })
    // 37 evaluations in calls of 5: the first 15 (t < 0.4: 8 starts, 7 predictors) are far, the rest near
    expect(rowsPerCall).toEqual([1, 1, 1, 2, 2, 2, 2, 2])
  }, 60_000)
})

describe('interrupting the clock on the step graph', () => {
  it('stop-and-keep keeps the state of a whole step, never a half one', async () => {
    const size = host.sampleSize
    const settings = clock({})
    const conditions = [{ classIndex: 2, weight: 1 }]
    const a = await trace(host, startingSamples(2, size), settings, conditions, { decay })
    let reports = 0
    const samples = startingSamples(2, size)
    const outcomes = await descend(graphs.get(5)!, samples, { ...settings, conditions, decay, isStopped: () => reports >= 1, onStep: () => void reports++ })
    // 5 evaluations a call: the first boundary is after the second call, at step 5
    expect(outcomes[0]).toMatchObject({ steps: 10, stopped: 'stopped-early' })
    for (let i = 0; i < size; i++) expect(Math.abs(samples[0].x[i] - a.states[4][0][i])).toBeLessThanOrEqual(1e-5)
  }, 60_000)

  it('a cancel is honoured at the end of a call inside a step', async () => {
    let calls = 0
    const counting: GradientField = { ...graphs.get(5)!, stepper: { stepsPerCall: 5, modelId: 'fashion-mnist', step: (input) => (calls++, graphs.get(5)!.stepper!.step(input)) } }
    const run = descend(counting, startingSamples(1, host.sampleSize), { ...clock({}), conditions: [], decay, isCancelled: () => calls >= 1 })
    await expect(run).rejects.toThrow(/cancelled/)
    expect(calls).toBe(1)
  }, 60_000)

  it('a NaN gradient names the model, as the host path does', async () => {
    const poisoned = () => {
      const samples = startingSamples(2, host.sampleSize)
      samples[1].x[5] = Number.NaN
      return samples
    }
    const options = { ...clock({ maxSteps: 3 }), conditions: [{ classIndex: 3, weight: 1 }], decay }
    const hostError = await descend(host, poisoned(), options).then(() => null, (error: Error) => error)
    const graphError = await descend(graphs.get(5)!, poisoned(), options).then(() => null, (error: Error) => error)
    expect(hostError?.message).toBe('fashion-mnist: the model returned NaN or infinite gradients')
    expect(graphError?.message).toBe(hostError?.message)
  }, 60_000)
})
