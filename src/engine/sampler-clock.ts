import type { DescentOptions, DescentSample, SampleOutcome } from './sampler'
import { betweenModelCalls, combineRows, freeRms, packRows, planGuidance, unguidedCoefficients, type GuidancePlan } from './sampler'
import type { GradientField } from './gradient-field'
import { interrupted } from './descent-interrupts'

/** The training schedule c(t) of an EqM model: the truncated decay (docs/method.md §2). */
export interface DecaySchedule {
  a: number
  lambda: number
}

/** The paper's and the embedded model's schedule, for manifests that do not say theirs. */
export const DEFAULT_DECAY: DecaySchedule = { a: 0.8, lambda: 4 }

/** c(t) = lambda * min(1, (1 - t) / (1 - a)): the size of the training target at noise level t. */
export function decay(t: number, schedule: DecaySchedule): number {
  return schedule.lambda * Math.min(1, (1 - t) / (1 - schedule.a))
}

/** One Heun step of the clock: x moves by k f, k0 at its start (t0), k1 at Heun's predictor (t1); k1 null for the last, Euler, step (c(1) = 0). */
export interface ClockStep {
  t0: number
  t1: number
  k0: number
  k1: number | null
}

export function clockSteps(steps: number, schedule: DecaySchedule): ClockStep[] {
  return Array.from({ length: steps }, (_, i) => {
    const t0 = i / steps
    const t1 = (i + 1) / steps
    const dt = t1 - t0
    return { t0, t1, k0: -dt / decay(t0, schedule), k1: i + 1 < steps ? -dt / decay(t1, schedule) : null }
  })
}

/**
 * The clock's guidance: farCfg while t < farUntilTime, then cfg. keepNull: both plans keep the
 * null row (partial guidance, the step graph), so they have the same rows, or one has only the
 * null row (no guidance).
 */
export function clockGuidance(field: Pick<GradientField, 'nullClass'>, options: DescentOptions, keepNull: boolean): { near: GuidancePlan; far: GuidancePlan; planAt: (t: number) => GuidancePlan } {
  const farUntil = options.farUntilTime ?? 0
  const near = planGuidance(options.conditions, options.cfg, field.nullClass, keepNull)
  const far = farUntil > 0 && options.farCfg !== undefined ? planGuidance(options.conditions, options.farCfg, field.nullClass, keepNull) : near
  return { near, far, planAt: (t) => (t < farUntil ? far : near) }
}

/**
 * The field integrated on a clock instead of descended (docs/method.md §3): on the training path
 * f(x_t) = (eps - x) c(t), so -f / c(t) is the flow from noise to data, and
 *   dx/dt = -f(x) / c(t),  t from 0 to 1 in maxSteps Heun steps (the last one Euler: c(1) = 0)
 * moves the whole distribution like a flow-matching sampler instead of settling each sample into a
 * minimum. There is no adaptive stop: every sample takes every step. Guidance follows the clock:
 * farCfg while t < farUntilTime, then cfg (the guidance interval), on the first guidedElements of
 * each sample where the model guides only part of it. On the step graph (a GPU's default) the
 * same steps run as sampler-clock-stepped.ts.
 */
export async function integrateOnClock(field: GradientField, samples: readonly DescentSample[], options: DescentOptions): Promise<SampleOutcome[]> {
  const size = field.sampleSize
  // partial guidance (latent models: 3 of 4 channels): the rest of each sample gets the unguided
  // combination of the same rows, as in the descent
  const guidedElements = Math.min(size, options.guidedElements ?? size)
  const partial = guidedElements < size
  const steps = options.maxSteps
  const { planAt } = clockGuidance(field, options, partial)
  const outcomes: SampleOutcome[] = samples.map(() => ({ steps: 0, gradNorm: Number.NaN, stopped: 'max-steps' }))
  const gradNorms = new Float64Array(samples.length).fill(Number.NaN)
  const all = samples.map((_, i) => i)
  /** guided f at each sample's given state, one model call per chunk of samples */
  const guided = async (states: readonly Float32Array[], plan: GuidancePlan): Promise<Float32Array[]> => {
    const rowsPerSample = plan.labels.length
    const perCall = Math.max(1, Math.floor(field.maxBatchRows / rowsPerSample))
    const out: Float32Array[] = []
    // the rest of a partly guided sample: the unguided combination of this plan's rows
    const rest = partial ? unguidedCoefficients(plan, options.conditions, field.nullClass) : plan.coefficients
    for (let start = 0; start < states.length; start += perCall) {
      if (start > 0) await betweenModelCalls(options)
      const chunk = states.slice(start, start + perCall)
      const { input, labels, rows } = packRows(chunk.length, plan, size, (into, c, offset) => into.set(chunk[c], offset))
      const output = await field.evaluate(input, labels, rows)
      chunk.forEach((_, c) => {
        const f = new Float32Array(size)
        combineRows(output, c, plan.coefficients, rest, guidedElements, f)
        out.push(f)
      })
    }
    return out
  }
  const schedule = clockSteps(steps, options.decay ?? DEFAULT_DECAY)
  const energyChanges = new Float64Array(samples.length)

  for (let step = 1; step <= steps; step++) {
    if (interrupted(options, all, outcomes)) break
    const { t0, t1, k0 } = schedule[step - 1]
    const f0 = await guided(samples.map((s) => s.x), planAt(t0))
    const f1 = step < steps ? await guided(samples.map((s, i) => moved(s, f0[i], k0)), planAt(t1)) : null
    const k1 = schedule[step - 1].k1 ?? 0
    samples.forEach((sample, i) => {
      const outcome = outcomes[i]
      // model evaluations, as for the descent: two a Heun step, one for the last (Euler) step
      outcome.steps = f1 ? 2 * step : 2 * step - 1
      const rms = freeRms(f0[i], 0, size, sample.freedom)
      outcome.gradNorm = rms
      gradNorms[i] = rms
      const { x, freedom } = sample
      // the energy's first-order change: each evaluation's f times the part of the move made with
      // it (the step graph's rule, where a Heun step is two graph steps): a0 |w f0|^2 + a1 |w f1|^2
      const [a0, a1] = f1 ? [0.5 * k0, 0.5 * k1] : [k0, 0]
      let change = 0
      for (let e = 0; e < size; e++) {
        const move = f1 ? 0.5 * (k0 * f0[i][e] + k1 * f1[i][e]) : k0 * f0[i][e]
        const w = freedom ? freedom[e] : 1
        x[e] += w * move
        change += a0 * (w * f0[i][e]) ** 2 + (f1 ? a1 * (w * f1[i][e]) ** 2 : 0)
      }
      energyChanges[i] += change
    })
    await options.onStep?.({ step, gradNorms, active: step < steps ? samples.length : 0, samples, energyChanges })
    energyChanges.fill(0)
  }
  return outcomes
}

/** the sample's state moved by k * f where it may move (Heun's predictor), as a new array */
function moved(sample: DescentSample, f: Float32Array, k: number): Float32Array {
  const x = Float32Array.from(sample.x)
  for (let e = 0; e < x.length; e++) x[e] += (sample.freedom ? sample.freedom[e] : 1) * k * f[e]
  return x
}
