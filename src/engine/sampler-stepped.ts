import type { DescentStepper, GradientField } from './gradient-field'
import type { DescentOptions, DescentSample, GuidancePlan, SampleOutcome } from './sampler'
import { interrupted } from './descent-interrupts'
import { nonFiniteGradients } from './errors'

/**
 * The same descent as sampler.ts descend(), with the steps done by the step graph
 * (step-graph.ts): look-ahead, guidance (by place too), RMS, stop rule and update run inside the model call,
 * K steps a call (the stepper's stepsPerCall), and the host packs states in and copies them
 * back once per call. Outcomes are the sampler's; onStep is called once per call, after its
 * last step (so with K > 1 frames and cancel checks come every K steps); the states agree with
 * the host sampler's within float32 rounding (sampler-stepped.test.ts).
 */
export async function descendStepped(
  field: GradientField,
  stepper: DescentStepper,
  samples: readonly DescentSample[],
  plan: GuidancePlan,
  options: DescentOptions,
  /** guidance by place: the far plan (the same rows as `plan`), or null when it is off */
  farPlan: GuidancePlan | null = null
): Promise<SampleOutcome[]> {
  const size = field.sampleSize
  const rowsPerSample = plan.labels.length
  const samplesPerCall = Math.max(1, Math.floor(field.maxBatchRows / rowsPerSample))
  const coefficients = Float32Array.from(plan.coefficients)
  const farCoefficients = Float32Array.from((farPlan ?? plan).coefficients)
  const farUntil = farPlan ? (options.farUntilRms ?? 0) : 0
  // each sample is far until its guided RMS first falls under farUntilRms (sampler.ts), carried across calls
  const farFlags: number[] = samples.map(() => (farPlan ? 1 : 0))
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
  const far = new Float32Array(capacity)

  const k = stepper.stepsPerCall
  for (let first = 1; first <= options.maxSteps && active.length > 0; first += k) {
    if (interrupted(options, active, outcomes)) break
    const budget = Math.min(k, options.maxSteps - first + 1)
    const stillActive: number[] = []
    let lastStep = first
    for (let start = 0; start < active.length; start += samplesPerCall) {
      const chunk = active.slice(start, start + samplesPerCall)
      chunk.forEach((sampleIndex, c) => {
        const sample = samples[sampleIndex]
        state.set(sample.x, c * size)
        fPrev.set(previous[sampleIndex], c * size)
        freedom.set(sample.freedom ?? ones, c * size)
        far[c] = farFlags[sampleIndex]
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
        lookahead,
        stop: options.stopGradNorm,
        budget,
        far,
        farCoefficients,
        farUntil
      })
      chunk.forEach((sampleIndex, c) => {
        const outcome = outcomes[sampleIndex]
        let moving = true
        for (let j = 0; j < budget && moving; j++) {
          const rms = out.rms[j * chunk.length + c]
          if (!Number.isFinite(rms)) throw nonFiniteGradients(stepper.modelId)
          outcome.steps = first + j
          outcome.gradNorm = rms
          gradNorms[sampleIndex] = rms
          lastStep = Math.max(lastStep, first + j)
          if (rms < options.stopGradNorm) {
            outcome.stopped = 'threshold'
            moving = false
          }
        }
        // a sample that stopped inside the call was left where it stopped, as the sampler leaves it
        samples[sampleIndex].x.set(out.nextState.subarray(c * size, (c + 1) * size))
        previous[sampleIndex].set(out.fNext.subarray(c * size, (c + 1) * size))
        farFlags[sampleIndex] = out.farNext[c]
        if (moving) stillActive.push(sampleIndex)
      })
    }
    active = stillActive
    await options.onStep?.({ step: lastStep, gradNorms, active: active.length, samples, gradients: previous })
  }
  return outcomes
}
