import type { Condition } from '../shared/jobs'
import type { SamplerSettings } from '../shared/manifest'
import type { GradientField } from './gradient-field'
import { EngineError } from './errors'
import { descendStepped } from './sampler-stepped'
import { interrupted } from './descent-interrupts'
import { integrateOnClock, type DecaySchedule } from './sampler-clock'
import { integrateOnClockStepped } from './sampler-clock-stepped'

/** One image being descended. `x` is mutated in place. */
export interface DescentSample {
  x: Float32Array
  /**
   * Per-element freedom in [0, 1] (repair masks). Elements at 0 never move, so pixels
   * outside a repair mask stay bit-identical; omitted = everything moves.
   */
  freedom?: Float32Array
}

export interface DescentProgress {
  /** loop iteration, 1-based */
  step: number
  /** per sample, RMS of its last guided gradient (NaN before its first evaluation) */
  gradNorms: Float64Array
  active: number
  samples: readonly DescentSample[]
  /**
   * per sample, the energy's first-order change along the moves since the last onStep: the sum
   * over model evaluations of <f, dx>, f the guided gradient times freedom and dx the move made
   * with it (energy-estimate.ts; the step graph adds the same inside its calls). Moves the sampler
   * did not make (repair's re-noising) are not in it. Read it during the call: it is reset after.
   */
  energyChanges: Float64Array
}

export interface DescentOptions extends SamplerSettings {
  conditions: readonly Condition[]
  isCancelled?: () => boolean
  /** stop-and-keep: the descent ends before the next step and the samples are kept as they are */
  isStopped?: () => boolean
  /**
   * Guidance on the first `guidedElements` of each sample only (the reference's DiT heritage:
   * CFG on 3 of 4 latent channels); the rest get the unguided combination (cfg 1), which for
   * one condition is its conditional output. Omitted: guidance on every element.
   */
  guidedElements?: number
  /** awaited between model calls of one step (slow models): cancel is checked after it */
  betweenCalls?: () => Promise<void>
  /** awaited after every step (on the step graph: after every call, which may run several steps):
   * the place for frames, cancel checks and yielding the event loop */
  onStep?: (progress: DescentProgress) => void | Promise<void>
  /** onStep changes the states between steps (repair's re-noising): every step must reach it, so
   * the step graph, which runs several steps a call, is not used */
  changesStatesBetweenSteps?: boolean
  /** the model's training schedule (manifest `decay`), for the clock method */
  decay?: DecaySchedule
}

export interface SampleOutcome {
  /** model evaluations this sample used (a CFG step with all its rows counts once) */
  steps: number
  gradNorm: number
  stopped: 'threshold' | 'max-steps' | 'stopped-early'
}

/**
 * How one sample's rows combine into its guided gradient:
 *   f = f_u + cfg * sum_k w_k (f_ck - f_u)
 * which is plain CFG for one condition and energy addition for several (docs/method.md §4).
 * Rows that cannot change the result are not evaluated.
 */
export interface GuidancePlan {
  labels: number[]
  /** coefficient of each row's output in the guided gradient */
  coefficients: number[]
}

export function planGuidance(conditions: readonly Condition[], cfg: number, nullClass: number, keepNull = false): GuidancePlan {
  const active = conditions.filter((c) => c.weight !== 0)
  if (active.length === 0 || cfg === 0) return { labels: [nullClass], coefficients: [1] }
  const weightSum = active.reduce((sum, c) => sum + c.weight, 0)
  const conditional = active.map((c) => cfg * c.weight)
  const unconditional = 1 - cfg * weightSum
  if (Math.abs(unconditional) < 1e-12 && !keepNull) {
    return { labels: active.map((c) => c.classIndex), coefficients: conditional }
  }
  return { labels: [nullClass, ...active.map((c) => c.classIndex)], coefficients: [unconditional, ...conditional] }
}

/**
 * Partial guidance (DescentOptions.guidedElements): the coefficients of `plan`'s rows that give the
 * elements past the guided ones the unguided combination (the conditions at scale 1). `plan` must
 * keep its null row (planGuidance's keepNull), so that the rows line up.
 */
export function unguidedCoefficients(plan: GuidancePlan, conditions: readonly Condition[], nullClass: number): number[] {
  // one row only: no guidance to restrict, the rest is the same combination
  if (plan.labels.length === 1) return plan.coefficients
  const rest = planGuidance(conditions, 1, nullClass, true)
  return plan.labels.map((label, r) => (rest.labels[r] === label ? rest.coefficients[r] : 0))
}

/**
 * One model call's rows for `count` samples: each sample once per row of `plan`, labelled with the
 * plan's labels. `writeState` writes sample c's state (the input the field is asked about) at
 * `offset`, its first row; its other rows are copies.
 */
export function packRows(count: number, plan: GuidancePlan, size: number, writeState: (input: Float32Array, c: number, offset: number) => void): { input: Float32Array; labels: Int32Array; rows: number } {
  const rowsPerSample = plan.labels.length
  const rows = count * rowsPerSample
  const input = new Float32Array(rows * size)
  const labels = new Int32Array(rows)
  for (let c = 0; c < count; c++) {
    const first = c * rowsPerSample * size
    writeState(input, c, first)
    for (let r = 0; r < rowsPerSample; r++) {
      labels[c * rowsPerSample + r] = plan.labels[r]
      if (r > 0) input.copyWithin(first + r * size, first, first + size)
    }
  }
  return { input, labels, rows }
}

/**
 * Sample c's guided f from its rows of a packRows call's output, into `into` (overwritten):
 * `coefficients` on the first guidedElements, `rest` on the others (partial guidance).
 */
export function combineRows(output: Float32Array, c: number, coefficients: readonly number[], rest: readonly number[], guidedElements: number, into: Float32Array): void {
  const size = into.length
  const rowsPerSample = coefficients.length
  into.fill(0)
  for (let r = 0; r < rowsPerSample; r++) {
    const k = coefficients[r]
    const row = (c * rowsPerSample + r) * size
    for (let i = 0; i < guidedElements; i++) into[i] += k * output[row + i]
    for (let i = guidedElements; i < size; i++) into[i] += rest[r] * output[row + i]
  }
}

/** Between two model calls of one step (a slow model's step is several): the host gets its turn, then a cancel is honoured. */
export async function betweenModelCalls(options: Pick<DescentOptions, 'betweenCalls' | 'isCancelled'>): Promise<void> {
  await options.betweenCalls?.()
  if (options.isCancelled?.()) throw new EngineError('cancelled', 'the job was cancelled')
}

/** RMS over the elements that may move: ||f|| / sqrt(n), so thresholds do not depend on image size. */
export function freeRms(f: Float32Array, offset: number, size: number, freedom?: Float32Array): number {
  let sum = 0
  let count = 0
  for (let i = 0; i < size; i++) {
    const w = freedom ? freedom[i] : 1
    if (w <= 0) continue
    const v = f[offset + i]
    sum += v * v
    count++
  }
  return count === 0 ? 0 : Math.sqrt(sum / count)
}

/**
 * Gradient descent on the field, per sample, as in docs/method.md §3:
 *   GD:  x <- x - eta f(x)
 *   NAG: x_look = x - eta mu f_prev;  f_prev = f(x_look);  x <- x - eta f_prev   (f_prev = 0 at first)
 * A sample stops when the RMS of its guided gradient falls under stopGradNorm (it is then
 * not moved by that gradient) or after maxSteps evaluations; stopped samples leave the batch.
 */
export async function descend(
  field: GradientField,
  samples: readonly DescentSample[],
  options: DescentOptions
): Promise<SampleOutcome[]> {
  const size = field.sampleSize
  for (const s of samples) {
    if (s.x.length !== size) throw new EngineError('bad-request', `sample has ${s.x.length} values, the model takes ${size}`)
  }
  if (options.method === 'clock') {
    return field.stepper && !options.changesStatesBetweenSteps ? integrateOnClockStepped(field, field.stepper, samples, options) : integrateOnClock(field, samples, options)
  }
  const guidedElements = Math.min(size, options.guidedElements ?? size)
  // partial guidance needs the same rows under two sets of coefficients: the null row is kept
  // guidance by place on the landscape (settings.ts farCfg): a sample is guided with farCfg until
  // its guided RMS first falls under farUntilRms, then with cfg; both plans keep the null row so
  // their rows are the same and each sample picks its coefficients
  const farOn = (options.farUntilRms ?? 0) > 0 && options.farCfg !== undefined && options.farCfg > 0 && options.cfg > 0 &&
    guidedElements === size && options.conditions.some((c) => c.weight !== 0)
  const plan = planGuidance(options.conditions, options.cfg, field.nullClass, guidedElements < size || farOn)
  const farPlan = farOn ? planGuidance(options.conditions, options.farCfg!, field.nullClass, true) : plan
  const far = samples.map(() => farOn)
  const restCoefficients = guidedElements < size ? unguidedCoefficients(plan, options.conditions, field.nullClass) : plan.coefficients
  // (the step graph switches each sample from the far to the near coefficients itself)
  if (field.stepper && !options.changesStatesBetweenSteps) return descendStepped(field, field.stepper, samples, plan, options, farOn ? farPlan : null, restCoefficients, guidedElements)
  const rowsPerSample = plan.labels.length
  const samplesPerCall = Math.max(1, Math.floor(field.maxBatchRows / rowsPerSample))
  const eta = options.stepSize
  const lookAhead = options.method === 'nag' ? eta * options.mu : 0

  const previous = samples.map(() => new Float32Array(size)) // f_prev, already weighted by freedom
  const outcomes: SampleOutcome[] = samples.map(() => ({ steps: 0, gradNorm: Number.NaN, stopped: 'max-steps' }))
  const gradNorms = new Float64Array(samples.length).fill(Number.NaN)
  let active = samples.map((_, i) => i)
  const energyChanges = new Float64Array(samples.length)

  for (let step = 1; step <= options.maxSteps && active.length > 0; step++) {
    if (interrupted(options, active, outcomes)) break
    const stillActive: number[] = []
    for (let start = 0; start < active.length; start += samplesPerCall) {
      if (start > 0) await betweenModelCalls(options)
      const chunk = active.slice(start, start + samplesPerCall)
      const { input, labels, rows } = packRows(chunk.length, plan, size, (into, c, offset) => {
        const { x } = samples[chunk[c]]
        const prev = previous[chunk[c]]
        if (lookAhead === 0) into.set(x, offset)
        else for (let i = 0; i < size; i++) into[offset + i] = x[i] - lookAhead * prev[i]
      })
      const output = await field.evaluate(input, labels, rows)
      chunk.forEach((sampleIndex, c) => {
        const sample = samples[sampleIndex]
        const guided = previous[sampleIndex]
        combineRows(output, c, far[sampleIndex] ? farPlan.coefficients : plan.coefficients, restCoefficients, guidedElements, guided)
        const outcome = outcomes[sampleIndex]
        outcome.steps = step
        const rms = freeRms(guided, 0, size, sample.freedom)
        outcome.gradNorm = rms
        gradNorms[sampleIndex] = rms
        if (far[sampleIndex] && rms < options.farUntilRms!) far[sampleIndex] = false
        if (rms < options.stopGradNorm) {
          outcome.stopped = 'threshold'
          return
        }
        const { x, freedom } = sample
        if (freedom) for (let i = 0; i < size; i++) guided[i] *= freedom[i]
        let squares = 0
        for (let i = 0; i < size; i++) {
          x[i] -= eta * guided[i]
          squares += guided[i] * guided[i]
        }
        energyChanges[sampleIndex] -= eta * squares
        stillActive.push(sampleIndex)
      })
    }
    active = stillActive
    await options.onStep?.({ step, gradNorms, active: active.length, samples, energyChanges })
    energyChanges.fill(0)
  }
  return outcomes
}
