import type { DescentStepper, GradientField } from './gradient-field'
import type { DescentOptions, DescentSample, GuidancePlan, SampleOutcome } from './sampler'
import { interrupted } from './descent-interrupts'

/**
 * The same descent as sampler.ts descend(), with each step done by the step graph
 * (step-graph.ts): look-ahead, guidance, RMS and update run inside the model call, the host
 * only packs states in and copies the moved ones back. Stop rule, outcomes and onStep are the
 * sampler's; the states agree with it within float32 rounding (sampler-stepped.test.ts).
 */
export async function descendStepped(
  field: GradientField,
  stepper: DescentStepper,
  samples: readonly DescentSample[],
  plan: GuidancePlan,
  options: DescentOptions
): Promise<SampleOutcome[]> {
  const size = field.sampleSize
  const rowsPerSample = plan.labels.length
  const samplesPerCall = Math.max(1, Math.floor(field.maxBatchRows / rowsPerSample))
  const coefficients = Float32Array.from(plan.coefficients)
  const eta = options.stepSize
  const lookahead = options.method === 'nag' ? eta * options.mu : 0
  const ones = new Float32Array(size).fill(1)

  const previous = samples.map(() => new Float32Array(size))
  const outcomes: SampleOutcome[] = samples.map(() => ({ steps: 0, gradNorm: Number.NaN, stopped: 'max-steps' }))
  const gradNorms = new Float64Array(samples.length).fill(Number.NaN)
  let active = samples.map((_, i) => i)
  const capacity = Math.min(samplesPerCall, samples.length)
  const state = new Float32Array(capacity * size)
  const fPrev = new Float32Array(capacity * size)
  const freedom = new Float32Array(capacity * size)
  const labels = new Int32Array(capacity * rowsPerSample)

  for (let step = 1; step <= options.maxSteps && active.length > 0; step++) {
    if (interrupted(options, active, outcomes)) break
    const stillActive: number[] = []
    for (let start = 0; start < active.length; start += samplesPerCall) {
      const chunk = active.slice(start, start + samplesPerCall)
      chunk.forEach((sampleIndex, c) => {
        const sample = samples[sampleIndex]
        state.set(sample.x, c * size)
        fPrev.set(previous[sampleIndex], c * size)
        freedom.set(sample.freedom ?? ones, c * size)
        for (let r = 0; r < rowsPerSample; r++) labels[c * rowsPerSample + r] = plan.labels[r]
      })
      const out = await stepper.step({
        samples: chunk.length,
        state,
        fPrev,
        freedom,
        labels: labels.subarray(0, chunk.length * rowsPerSample),
        coefficients,
        eta,
        lookahead
      })
      chunk.forEach((sampleIndex, c) => {
        const rms = out.rms[c]
        const outcome = outcomes[sampleIndex]
        outcome.steps = step
        outcome.gradNorm = rms
        gradNorms[sampleIndex] = rms
        if (rms < options.stopGradNorm) {
          outcome.stopped = 'threshold'
          return
        }
        samples[sampleIndex].x.set(out.nextState.subarray(c * size, (c + 1) * size))
        previous[sampleIndex].set(out.fNext.subarray(c * size, (c + 1) * size))
        stillActive.push(sampleIndex)
      })
    }
    active = stillActive
    await options.onStep?.({ step, gradNorms, active: active.length, samples, gradients: previous })
  }
  return outcomes
}
