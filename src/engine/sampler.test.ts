import { describe, expect, it } from 'vitest'
import { descend, planGuidance, freeRms, type DescentSample } from './sampler'
import { AnalyticField, constantMean } from '../../test/support/analytic-field'
import { SeededRandom } from './rng'

const SIZE = 16
const NULL = 3
const means = [constantMean(SIZE, -0.5), constantMean(SIZE, 0.25), constantMean(SIZE, 0.75), constantMean(SIZE, 0)]
const base = { method: 'gd' as const, stepSize: 0.1, mu: 0.3, maxSteps: 40, stopGradNorm: 0, cfg: 1 }

function start(seed: number): Float32Array {
  return new SeededRandom(seed).fillNormal(new Float32Array(SIZE))
}

describe('GD on an analytic energy', () => {
  it('converges to mu_y at the rate (1 - eta)^n', async () => {
    const field = new AnalyticField(means, NULL)
    const x0 = start(1)
    const sample = { x: Float32Array.from(x0) }
    await descend(field, [sample], { ...base, conditions: [{ classIndex: 2, weight: 1 }], maxSteps: 25 })
    for (let i = 0; i < SIZE; i++) {
      const expected = 0.75 + Math.pow(0.9, 25) * (x0[i] - 0.75)
      expect(sample.x[i]).toBeCloseTo(expected, 5)
    }
  })

  it('uses no unconditional row when guidance cannot change the result', () => {
    expect(planGuidance([{ classIndex: 1, weight: 1 }], 1, NULL)).toEqual({ labels: [1], coefficients: [1] })
    expect(planGuidance([], 3, NULL)).toEqual({ labels: [NULL], coefficients: [1] })
    expect(planGuidance([{ classIndex: 1, weight: 1 }], 0, NULL)).toEqual({ labels: [NULL], coefficients: [1] })
    expect(planGuidance([{ classIndex: 1, weight: 1 }], 2, NULL)).toEqual({ labels: [NULL, 1], coefficients: [-1, 2] })
  })
})

describe('NAG-GD', () => {
  it('follows the reference recursion step for step on a nonlinear field', async () => {
    const field = new AnalyticField(means, NULL, 64, true)
    const x0 = start(7)
    const sample = { x: Float32Array.from(x0) }
    const settings = { ...base, method: 'nag' as const, stepSize: 0.05, mu: 0.35, maxSteps: 12 }
    await descend(field, [sample], { ...settings, conditions: [{ classIndex: 0, weight: 1 }] })

    // docs/method.md §3: x_look = x - eta mu f_prev; f_prev = f(x_look); x <- x - eta f_prev
    const x = Float32Array.from(x0)
    let prev: Float32Array = new Float32Array(SIZE)
    for (let step = 0; step < settings.maxSteps; step++) {
      const look = x.map((v, i) => v - settings.stepSize * settings.mu * prev[i])
      prev = await new AnalyticField(means, NULL, 64, true).evaluate(look, Int32Array.of(0), 1)
      for (let i = 0; i < SIZE; i++) x[i] -= settings.stepSize * prev[i]
    }
    expect(Array.from(sample.x)).toEqual(Array.from(x))
  })

  it('is a look-ahead, not heavy-ball momentum: on a quadratic it is no faster than GD', async () => {
    const run = async (method: 'gd' | 'nag') => {
      const field = new AnalyticField(means, NULL)
      const outcome = await descend(field, [{ x: start(3) }], { ...base, method, stepSize: 0.2, maxSteps: 500, stopGradNorm: 1e-3, conditions: [{ classIndex: 1, weight: 1 }] })
      return outcome[0].steps
    }
    expect(await run('nag')).toBeGreaterThanOrEqual(await run('gd'))
  })
})

describe('adaptive compute', () => {
  it('stops each sample at its threshold and spends no rows on stopped samples', async () => {
    const field = new AnalyticField(means, NULL)
    // distances from mu_1 of 0.1 and 2.0 (RMS): they need different numbers of steps
    const near: DescentSample = { x: constantMean(SIZE, 0.35) }
    const far: DescentSample = { x: constantMean(SIZE, 2.25) }
    const threshold = 0.01
    const outcomes = await descend(field, [near, far], { ...base, stopGradNorm: threshold, maxSteps: 200, conditions: [{ classIndex: 1, weight: 1 }] })
    // RMS after k steps is d (0.9)^k; the sample stops at the first evaluation under the threshold
    const expectedSteps = (d: number) => Math.ceil(Math.log(threshold / d) / Math.log(0.9)) + 1
    expect(outcomes[0]).toMatchObject({ steps: expectedSteps(0.1), stopped: 'threshold' })
    expect(outcomes[1]).toMatchObject({ steps: expectedSteps(2.0), stopped: 'threshold' })
    expect(outcomes[0].gradNorm).toBeLessThan(threshold)
    expect(field.rowsEvaluated).toBe(outcomes[0].steps + outcomes[1].steps)
    expect(field.rowsEvaluated).toBeLessThan(2 * 200)
  })

  it('caps at maxSteps', async () => {
    const outcomes = await descend(new AnalyticField(means, NULL), [{ x: start(2) }], { ...base, stopGradNorm: 1e-9, maxSteps: 5, conditions: [] })
    expect(outcomes[0]).toMatchObject({ steps: 5, stopped: 'max-steps' })
  })

  it('measures RMS so thresholds do not depend on image size', () => {
    expect(freeRms(new Float32Array(4).fill(0.5), 0, 4)).toBeCloseTo(0.5)
    expect(freeRms(new Float32Array(400).fill(0.5), 0, 400)).toBeCloseTo(0.5)
  })
})

describe('guidance arithmetic', () => {
  it('CFG descends to mu_u + s (mu_c - mu_u) with cond and uncond rows in one call', async () => {
    const field = new AnalyticField(means, NULL)
    const sample = { x: start(4) }
    await descend(field, [sample], { ...base, cfg: 2.5, stepSize: 0.5, maxSteps: 60, conditions: [{ classIndex: 1, weight: 1 }] })
    for (const v of sample.x) expect(v).toBeCloseTo(0 + 2.5 * (0.25 - 0), 4)
    expect(field.calls).toBe(60)
    expect(field.rowsEvaluated).toBe(120)
  })

  it('composition adds weighted conditions, negative weights too, K+1 rows in one call', async () => {
    const field = new AnalyticField(means, NULL)
    const sample = { x: start(5) }
    const conditions = [
      { classIndex: 0, weight: 0.7 },
      { classIndex: 2, weight: 0.6 },
      { classIndex: 1, weight: -0.3 }
    ]
    await descend(field, [sample], { ...base, cfg: 1.5, stepSize: 0.5, maxSteps: 60, conditions })
    const target = 1.5 * (0.7 * -0.5 + 0.6 * 0.75 - 0.3 * 0.25)
    for (const v of sample.x) expect(v).toBeCloseTo(target, 4)
    expect(field.rowsEvaluated / field.calls).toBe(4)
  })

  it('splits samples into calls that respect the row limit', async () => {
    const field = new AnalyticField(means, NULL, 5)
    const samples = [1, 2, 3, 4, 5].map((s) => ({ x: start(s) }))
    await descend(field, samples, { ...base, cfg: 2, maxSteps: 3, conditions: [{ classIndex: 2, weight: 1 }] })
    // 2 rows per sample, at most 5 rows a call: 2 samples per call, 3 calls per step
    expect(field.calls).toBe(9)
    expect(field.rowsEvaluated).toBe(30)
  })
})

describe('masked descent', () => {
  it('never moves elements with zero freedom, and scales the rest', async () => {
    const x0 = start(9)
    const freedom = new Float32Array(SIZE).map((_, i) => (i < 8 ? 0 : 1))
    const sample = { x: Float32Array.from(x0), freedom }
    await descend(new AnalyticField(means, NULL), [sample], { ...base, method: 'nag', maxSteps: 30, conditions: [{ classIndex: 2, weight: 1 }] })
    for (let i = 0; i < 8; i++) expect(sample.x[i]).toBe(x0[i])
    for (let i = 8; i < SIZE; i++) expect(Math.abs(sample.x[i] - 0.75)).toBeLessThan(Math.abs(x0[i] - 0.75))
  })

  it('stops on the RMS of the free elements only', async () => {
    const x = constantMean(SIZE, 5) // far from every mean, but held
    for (let i = 8; i < SIZE; i++) x[i] = 0.75
    const freedom = new Float32Array(SIZE).map((_, i) => (i < 8 ? 0 : 1))
    const outcomes = await descend(new AnalyticField(means, NULL), [{ x, freedom }], { ...base, stopGradNorm: 0.01, conditions: [{ classIndex: 2, weight: 1 }] })
    expect(outcomes[0]).toMatchObject({ steps: 1, stopped: 'threshold' })
  })
})

describe('cancel', () => {
  it('throws a cancelled error between steps', async () => {
    let steps = 0
    const run = descend(new AnalyticField(means, NULL), [{ x: start(1) }], {
      ...base,
      maxSteps: 100,
      conditions: [],
      isCancelled: () => steps >= 3,
      onStep: () => {
        steps++
      }
    })
    await expect(run).rejects.toMatchObject({ code: 'cancelled' })
    expect(steps).toBe(3)
  })
})

describe('stop-and-keep', () => {
  it('ends the descent after the step in progress and keeps each sample exactly as it was', async () => {
    const field = new AnalyticField(means, NULL)
    const x0 = start(3)
    const sample = { x: Float32Array.from(x0) }
    let steps = 0
    const outcomes = await descend(field, [sample], { ...base, conditions: [{ classIndex: 2, weight: 1 }], maxSteps: 40, isStopped: () => steps >= 6, onStep: ({ step }) => void (steps = step) })
    expect(outcomes[0]).toMatchObject({ steps: 6, stopped: 'stopped-early' })
    // six GD steps of (1 - eta): a partial state, not the converged one
    for (let i = 0; i < SIZE; i++) expect(sample.x[i]).toBeCloseTo(0.75 + Math.pow(0.9, 6) * (x0[i] - 0.75), 5)
  })
})

describe('latent-model options', () => {
  it('guides only the first guidedElements; the rest get the conditional output (the reference CFG on 3 of 4 channels)', async () => {
    const field = new AnalyticField(means, NULL)
    const sample = { x: new Float32Array(SIZE) }
    await descend(field, [sample], { ...base, cfg: 3, maxSteps: 1, conditions: [{ classIndex: 2, weight: 1 }], guidedElements: 12 })
    // f_u = x - 0 = 0, f_c = x - 0.75: guided -2.25 (x = 0.225), unguided -0.75 (x = 0.075)
    for (let i = 0; i < 12; i++) expect(sample.x[i]).toBeCloseTo(0.225, 6)
    for (let i = 12; i < SIZE; i++) expect(sample.x[i]).toBeCloseTo(0.075, 6)
    const everywhere = { x: new Float32Array(SIZE) }
    await descend(field, [everywhere], { ...base, cfg: 3, maxSteps: 1, conditions: [{ classIndex: 2, weight: 1 }] })
    for (let i = 0; i < SIZE; i++) expect(everywhere.x[i]).toBeCloseTo(0.225, 6)
  })

  it('honours cancel between the model calls of one step', async () => {
    const field = new AnalyticField(means, NULL, 1)
    let cancelled = false
    const samples = [{ x: start(1) }, { x: start(2) }, { x: start(3) }]
    const run = descend(field, samples, { ...base, conditions: [{ classIndex: 1, weight: 1 }], isCancelled: () => cancelled, betweenCalls: async () => { cancelled = true } })
    await expect(run).rejects.toThrow(/cancelled/)
    expect(field.calls).toBe(1)
  })
})
