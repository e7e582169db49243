import { expect } from 'vitest'
import type { Condition } from '../../src/shared/jobs'
import type { SamplerSettings } from '../../src/shared/manifest'
import type { DescentStepper, GradientField } from '../../src/engine/gradient-field'
import { SeededRandom } from '../../src/engine/rng'
import { descend, type DescentOptions, type DescentSample, type SampleOutcome } from '../../src/engine/sampler'

/** What a descent (or the clock) reported at each onStep, for comparing two paths step by step. */
export interface Trace {
  /** the step each onStep reported */
  steps: number[]
  states: Float32Array[][]
  norms: number[][]
  /** per report, per sample: the energy's first-order change since the start (the sum of energyChanges) */
  energy: number[][]
  outcomes: SampleOutcome[]
}

export async function trace(field: GradientField, samples: DescentSample[], settings: SamplerSettings, conditions: Condition[], extra: Partial<DescentOptions> = {}): Promise<Trace> {
  const states: Float32Array[][] = []
  const norms: number[][] = []
  const steps: number[] = []
  const energy: number[][] = []
  const total = new Float64Array(samples.length)
  const outcomes = await descend(field, samples, {
    ...settings,
    conditions,
    ...extra,
    onStep: ({ step, samples: now, gradNorms, energyChanges }) => {
      steps.push(step)
      energyChanges.forEach((change, s) => (total[s] += change))
      energy.push(Array.from(total))
      states.push(now.map((s) => Float32Array.from(s.x)))
      norms.push(Array.from(gradNorms))
    }
  })
  return { steps, states, norms, energy, outcomes }
}

/** A field that only steps through `stepper` (the step graph): a call to the host path's evaluate fails the test. */
export function graphOnly(host: GradientField, stepper: DescentStepper): GradientField {
  return { sampleSize: host.sampleSize, nullClass: host.nullClass, maxBatchRows: host.maxBatchRows, evaluate: () => Promise.reject(new Error('the graph path must not call evaluate')), stepper }
}

export function startingSamples(count: number, size: number, freedom?: Float32Array): DescentSample[] {
  return Array.from({ length: count }, (_, i) => ({ x: new SeededRandom(100 + i).fillNormal(new Float32Array(size)), freedom }))
}

/** b reports a subset of a's steps (every step, or every K-th): its states must be a's at those steps, within float32 rounding */
export function expectSameDescent(a: Trace, b: Trace, size: number, stopGradNorm: number): void {
  expect(b.steps.length).toBeGreaterThan(0)
  b.steps.forEach((step, n) =>
    b.states[n].forEach((x, s) => {
      const reference = a.states[a.steps.indexOf(step)]
      expect(reference, `host has step ${step}`).toBeDefined()
      let diff = 0
      for (let i = 0; i < size; i++) diff = Math.max(diff, Math.abs(x[i] - reference[s][i]))
      expect(diff, `step ${step}, sample ${s}`).toBeLessThanOrEqual(1e-5)
      // the energy change the frames carry: the same sum, in float32 inside the graph
      const change = a.energy[a.steps.indexOf(step)][s]
      expect(Math.abs(b.energy[n][s] - change), `energy change at step ${step}, sample ${s}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(change)))
    })
  )
  expect(b.steps[b.steps.length - 1]).toBe(a.steps[a.steps.length - 1])
  a.outcomes.forEach((outcome, s) => {
    const tie = Math.abs(outcome.gradNorm - stopGradNorm) < 1e-5
    if (!tie) expect(b.outcomes[s].steps, `sample ${s} stop step`).toBe(outcome.steps)
    if (!tie) expect(b.outcomes[s].stopped).toBe(outcome.stopped)
    expect(Math.abs(b.outcomes[s].gradNorm - outcome.gradNorm)).toBeLessThan(1e-4)
  })
}
