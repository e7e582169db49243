import type { DescentStepper, GradientField } from './gradient-field'
import type { DescentOptions, DescentSample, SampleOutcome } from './sampler'
import { betweenModelCalls, unguidedCoefficients } from './sampler'
import { clockGuidance, clockSteps, DEFAULT_DECAY } from './sampler-clock'
import { interrupted } from './descent-interrupts'
import { StepCallBuffers } from './sampler-stepped'
import { nonFiniteGradients } from './errors'

/** One model evaluation of the clock, as the step graph takes it (step-graph.ts's per-step inputs). */
interface ClockEvaluation {
  /** the Heun step it belongs to (1-based) */
  step: number
  /** the first evaluation of its step (f0, at the step's start), whose RMS the outcome reports */
  first: boolean
  /** the last evaluation of its step: the state after it is the step's result */
  last: boolean
  /** the clock time it is evaluated at (its guidance) */
  t: number
  lookahead: number
  eta: number
}

/** The rows of one call and each evaluation's coefficients on them. */
interface CallRows {
  labels: readonly number[]
  coefficients: (t: number) => readonly number[]
  rest: readonly number[]
}

/**
 * The clock (sampler-clock.ts) on the step graph. A Heun step x' = x + 1/2 (k0 f0 + k1 f1),
 * f1 at x + k0 f0, is two graph steps: the first evaluates f0 at x and moves to the midpoint
 * x + 1/2 k0 f0 (eta = -k0/2); the second looks ahead from there by the other half of k0 f0
 * (lookahead = -k0/2 on f_prev = f0) to evaluate f1, then adds 1/2 k1 f1 (eta = -k1/2). The last
 * step is Euler, one graph step of eta = -k0. The graph's stop rule is off (stop < 0) and every
 * sample takes the same steps, so guidance follows the clock through the per-step coefficients.
 * A call whose evaluations all have one guidance evaluates that plan's rows (CFG 1 far: the
 * conditional row alone, as the host path does); a call across the switch evaluates the rows of
 * both (the null row kept), as does partial guidance, whose rest needs the null row.
 *
 * A call runs up to K evaluations and may end inside a Heun step; the host then only yields and
 * honours a cancel. onStep (frames) and stop-and-keep come only after calls that end on a step
 * boundary, so neither a frame nor a kept result is ever a half step. The states agree with the host clock's within float32
 * rounding (sampler-clock-stepped.test.ts).
 */
export async function integrateOnClockStepped(field: GradientField, stepper: DescentStepper, samples: readonly DescentSample[], options: DescentOptions): Promise<SampleOutcome[]> {
  const size = field.sampleSize
  const guidedElements = Math.min(size, options.guidedElements ?? size)
  const partial = guidedElements < size
  const compact = clockGuidance(field, options, false)
  // both plans with the null row kept: the same rows, or one of them the null row alone (no guidance)
  const aligned = clockGuidance(field, options, true)
  const union = aligned.near.labels.length >= aligned.far.labels.length ? aligned.near : aligned.far
  const onUnion = (coefficients: readonly number[]) => (coefficients.length === union.labels.length ? coefficients : union.labels.map((_, r) => (r === 0 ? coefficients[0] : 0)))
  const unionRows: CallRows = {
    labels: union.labels,
    coefficients: (t) => onUnion(aligned.planAt(t).coefficients),
    rest: partial ? unguidedCoefficients(union, options.conditions, field.nullClass) : union.coefficients
  }
  const rowsFor = (window: readonly ClockEvaluation[]): CallRows => {
    const plan = compact.planAt(window[0].t)
    if (partial || window.some((e) => compact.planAt(e.t) !== plan)) return unionRows
    return { labels: plan.labels, coefficients: () => plan.coefficients, rest: plan.coefficients }
  }

  const evaluations: ClockEvaluation[] = clockSteps(options.maxSteps, options.decay ?? DEFAULT_DECAY).flatMap(({ t0, t1, k0, k1 }, i): ClockEvaluation[] => {
    const step = i + 1
    if (k1 === null) return [{ step, first: true, last: true, t: t0, lookahead: 0, eta: -k0 }]
    return [
      { step, first: true, last: false, t: t0, lookahead: 0, eta: -0.5 * k0 },
      { step, first: false, last: true, t: t1, lookahead: -0.5 * k0, eta: -0.5 * k1 }
    ]
  })

  const k = stepper.stepsPerCall
  const samplesPerCall = Math.max(1, Math.floor(field.maxBatchRows / union.labels.length))
  const buffers = new StepCallBuffers(Math.min(samplesPerCall, samples.length), size, union.labels.length)
  const guidedMask = new Float32Array(size).fill(1, 0, guidedElements)
  const previous = samples.map(() => new Float32Array(size))
  const outcomes: SampleOutcome[] = samples.map(() => ({ steps: 0, gradNorm: Number.NaN, stopped: 'max-steps' }))
  const gradNorms = new Float64Array(samples.length).fill(Number.NaN)
  const all = samples.map((_, i) => i)
  const energyChanges = new Float64Array(samples.length)

  let atBoundary = true
  for (let start = 0; start < evaluations.length; start += k) {
    if (atBoundary && interrupted(options, all, outcomes)) break
    const window = evaluations.slice(start, start + k)
    const rows = rowsFor(window)
    const rowsPerSample = rows.labels.length
    // the graph's K steps take K values each; the steps past the budget are not taken
    const coefficients = new Float32Array(k * rowsPerSample)
    const eta = new Float32Array(k)
    const lookahead = new Float32Array(k)
    window.forEach((e, j) => {
      coefficients.set(rows.coefficients(e.t), j * rowsPerSample)
      eta[j] = e.eta
      lookahead[j] = e.lookahead
    })
    // guidance by place is the descent's (far stays 0 here): its coefficients only need the right length
    const rest = Float32Array.from(rows.rest)
    for (let first = 0; first < samples.length; first += samplesPerCall) {
      if (first > 0) await betweenModelCalls(options)
      const chunk = all.slice(first, first + samplesPerCall)
      chunk.forEach((s, c) => buffers.load(c, samples[s], previous[s], rows.labels))
      const out = await stepper.step({
        ...buffers.input(chunk.length, rowsPerSample),
        coefficients,
        eta,
        lookahead,
        stop: -1,
        budget: window.length,
        far: new Float32Array(chunk.length),
        farCoefficients: rest,
        farUntil: 0,
        restCoefficients: rest,
        guidedMask
      })
      chunk.forEach((s, c) => {
        window.forEach((e, j) => {
          const rms = out.rms[j * chunk.length + c]
          // the host path's evaluate refuses non-finite gradients; here the RMS carries them
          if (!Number.isFinite(rms)) throw nonFiniteGradients(stepper.modelId)
          outcomes[s].steps++
          if (e.first) {
            outcomes[s].gradNorm = rms
            gradNorms[s] = rms
          }
        })
        samples[s].x.set(out.nextState.subarray(c * size, (c + 1) * size))
        previous[s].set(out.fNext.subarray(c * size, (c + 1) * size))
        energyChanges[s] += out.energyChange[c]
      })
    }
    const end = window[window.length - 1]
    atBoundary = end.last
    if (!atBoundary) {
      await betweenModelCalls(options)
      continue
    }
    await options.onStep?.({ step: end.step, gradNorms, active: end.step < options.maxSteps ? samples.length : 0, samples, energyChanges })
    energyChanges.fill(0)
  }
  return outcomes
}
