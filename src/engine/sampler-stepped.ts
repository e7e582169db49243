import type { DescentStepper, GradientField, StepInput } from './gradient-field'
import type { DescentOptions, DescentSample, GuidancePlan, SampleOutcome } from './sampler'
import { interrupted } from './descent-interrupts'
import { nonFiniteGradients } from './errors'

/**
 * The same descent as sampler.ts descend(), with the steps done by the step graph
 * (step-graph.ts): look-ahead, guidance (by place, partial), RMS, stop rule and update run inside the model call,
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
  farPlan: GuidancePlan | null = null,
  /** partial guidance: the coefficients of the elements past the first guidedElements */
  rest: readonly number[] = plan.coefficients,
  guidedElements = field.sampleSize
): Promise<SampleOutcome[]> {
  const size = field.sampleSize
  const rowsPerSample = plan.labels.length
  const samplesPerCall = Math.max(1, Math.floor(field.maxBatchRows / rowsPerSample))
  const k = stepper.stepsPerCall
  // the descent takes the same step every time: the graph's per-step inputs repeat one value
  const coefficients = Float32Array.from({ length: k * rowsPerSample }, (_, i) => plan.coefficients[i % rowsPerSample])
  const restCoefficients = Float32Array.from(rest)
  const guidedMask = new Float32Array(size).fill(1, 0, guidedElements)
  const farCoefficients = Float32Array.from((farPlan ?? plan).coefficients)
  const farUntil = farPlan ? (options.farUntilRms ?? 0) : 0
  // each sample is far until its guided RMS first falls under farUntilRms (sampler.ts), carried across calls
  const farFlags: number[] = samples.map(() => (farPlan ? 1 : 0))
  const eta = new Float32Array(k).fill(options.stepSize)
  const lookahead = new Float32Array(k).fill(options.method === 'nag' ? options.stepSize * options.mu : 0)

  const previous = samples.map(() => new Float32Array(size))
  const outcomes: SampleOutcome[] = samples.map(() => ({ steps: 0, gradNorm: Number.NaN, stopped: 'max-steps' }))
  const gradNorms = new Float64Array(samples.length).fill(Number.NaN)
  let active = samples.map((_, i) => i)
  const buffers = new StepCallBuffers(Math.min(samplesPerCall, samples.length), size, rowsPerSample)
  const far = new Float32Array(buffers.capacity)
  const energyChanges = new Float64Array(samples.length)

  for (let first = 1; first <= options.maxSteps && active.length > 0; first += k) {
    if (interrupted(options, active, outcomes)) break
    const budget = Math.min(k, options.maxSteps - first + 1)
    const stillActive: number[] = []
    let lastStep = first
    for (let start = 0; start < active.length; start += samplesPerCall) {
      const chunk = active.slice(start, start + samplesPerCall)
      chunk.forEach((sampleIndex, c) => {
        buffers.load(c, samples[sampleIndex], previous[sampleIndex], plan.labels)
        far[c] = farFlags[sampleIndex]
      })
      const out = await stepper.step({
        ...buffers.input(chunk.length, rowsPerSample),
        coefficients,
        eta,
        lookahead,
        stop: options.stopGradNorm,
        budget,
        far,
        farCoefficients,
        farUntil,
        restCoefficients,
        guidedMask
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
        energyChanges[sampleIndex] += out.energyChange[c]
        if (moving) stillActive.push(sampleIndex)
      })
    }
    active = stillActive
    await options.onStep?.({ step: lastStep, gradNorms, active: active.length, samples, energyChanges })
    energyChanges.fill(0)
  }
  return outcomes
}

/** The per-sample inputs of step-graph calls (states, f_prev, freedom, row labels), packed a chunk of samples at a time. */
export class StepCallBuffers {
  private readonly state: Float32Array
  private readonly fPrev: Float32Array
  private readonly freedom: Float32Array
  private readonly labels: Int32Array
  private readonly ones: Float32Array

  constructor(
    /** the most samples one call takes */
    readonly capacity: number,
    private readonly size: number,
    maxRowsPerSample: number
  ) {
    this.state = new Float32Array(capacity * size)
    this.fPrev = new Float32Array(capacity * size)
    this.freedom = new Float32Array(capacity * size)
    this.labels = new Int32Array(capacity * maxRowsPerSample)
    this.ones = new Float32Array(size).fill(1)
  }

  /** sample c of the call: its state, its last f (freedom-weighted) and its rows' labels */
  load(c: number, sample: DescentSample, previous: Float32Array, labels: readonly number[]): void {
    this.state.set(sample.x, c * this.size)
    this.fPrev.set(previous, c * this.size)
    this.freedom.set(sample.freedom ?? this.ones, c * this.size)
    for (let r = 0; r < labels.length; r++) this.labels[c * labels.length + r] = labels[r]
  }

  input(samples: number, rowsPerSample: number): Pick<StepInput, 'samples' | 'state' | 'fPrev' | 'freedom' | 'labels'> {
    return { samples, state: this.state, fPrev: this.fPrev, freedom: this.freedom, labels: this.labels.subarray(0, samples * rowsPerSample) }
  }
}
