import { describe, expect, it } from 'vitest'
import { descend } from './sampler'
import { decay, DEFAULT_DECAY } from './sampler-clock'
import { AnalyticField, constantMean } from '../../test/support/analytic-field'
import { SeededRandom } from './rng'

const SIZE = 12
const NULL = 2
const means = [constantMean(SIZE, -0.5), constantMean(SIZE, 0.75), constantMean(SIZE, 0.1)]
const clock = { method: 'clock' as const, stepSize: 0.02, mu: 0.3, stopGradNorm: 0.5, conditions: [{ classIndex: 1, weight: 1 }] }

/** the clock's recursion for one element of the analytic field x - mu, written out on scalars */
function reference(x0: number, steps: number, cfgAt: (t: number) => number): number {
  // guided f = (x - mu_null) + s ((x - mu_1) - (x - mu_null)) = x - mu_null - s (mu_1 - mu_null)
  const f = (x: number, t: number) => x - 0.1 - cfgAt(t) * (0.75 - 0.1)
  let x = x0
  for (let k = 0; k < steps; k++) {
    const t0 = k / steps
    const t1 = (k + 1) / steps
    const d0 = -f(x, t0) / decay(t0, DEFAULT_DECAY)
    if (k < steps - 1) {
      const d1 = -f(x + (t1 - t0) * d0, t1) / decay(t1, DEFAULT_DECAY)
      x += (t1 - t0) * 0.5 * (d0 + d1)
    } else x += (t1 - t0) * d0
  }
  return x
}

describe('the clock sampler (dx/dt = -f / c(t))', () => {
  it('is the Heun recursion with a last Euler step, and switches guidance at farUntilTime', async () => {
    const field = new AnalyticField(means, NULL)
    const x0 = new SeededRandom(3).fillNormal(new Float32Array(SIZE))
    const sample = { x: Float32Array.from(x0) }
    const outcomes = await descend(field, [sample], { ...clock, maxSteps: 13, cfg: 2, farCfg: 1, farUntilTime: 0.4 })
    for (let i = 0; i < SIZE; i++) expect(sample.x[i]).toBeCloseTo(reference(x0[i], 13, (t) => (t < 0.4 ? 1 : 2)), 4)
    // no adaptive stop: every step is taken although the gradient is soon under stopGradNorm
    expect(outcomes[0]).toMatchObject({ steps: 25, stopped: 'max-steps' })
    // 12 Heun steps of two calls and the last Euler step, one row a call with cfg 1 (far), two with cfg 2
    expect(field.calls).toBe(25)
  })

  it('leaves held elements bit-identical (freedom 0)', async () => {
    const field = new AnalyticField(means, NULL)
    const x = new SeededRandom(9).fillNormal(new Float32Array(SIZE))
    const freedom = new Float32Array(SIZE).fill(1).fill(0, 0, 4)
    const sample = { x: Float32Array.from(x), freedom }
    await descend(field, [sample], { ...clock, maxSteps: 6, cfg: 1 })
    expect(Array.from(sample.x.slice(0, 4))).toEqual(Array.from(x.slice(0, 4)))
    expect(sample.x[4]).not.toBe(x[4])
  })

  it('honours cancel and stop-and-keep between steps', async () => {
    const field = new AnalyticField(means, NULL)
    let steps = 0
    const cancelled = descend(field, [{ x: new Float32Array(SIZE) }], { ...clock, maxSteps: 10, cfg: 1, isCancelled: () => steps >= 2, onStep: () => void steps++ })
    await expect(cancelled).rejects.toThrow(/cancelled/)
    steps = 0
    const kept = await descend(field, [{ x: new Float32Array(SIZE) }], { ...clock, maxSteps: 10, cfg: 1, isStopped: () => steps >= 3, onStep: () => void steps++ })
    expect(kept[0]).toMatchObject({ steps: 6, stopped: 'stopped-early' })
  })

  it('guides only the first guidedElements (latent models), the rest with the unguided combination of the same rows', async () => {
    // the analytic field moves each element on its own, so a partly guided run is, element by
    // element, the fully guided run (the guided part) and the unguided one (the rest)
    const x0 = new SeededRandom(4).fillNormal(new Float32Array(SIZE))
    const run = async (options: { cfg: number; guidedElements?: number }) => {
      const sample = { x: Float32Array.from(x0) }
      await descend(new AnalyticField(means, NULL), [sample], { ...clock, maxSteps: 9, farCfg: 0.5, farUntilTime: 0.3, ...options })
      return sample.x
    }
    const partial = await run({ cfg: 3, guidedElements: 5 })
    const guided = await run({ cfg: 3 })
    const unguided = await run({ cfg: 1, farUntilTime: 0 } as { cfg: number })
    for (let i = 0; i < 5; i++) expect(partial[i]).toBeCloseTo(guided[i], 5)
    for (let i = 5; i < SIZE; i++) expect(partial[i]).toBeCloseTo(unguided[i], 5)
    expect(guided[7]).not.toBeCloseTo(unguided[7], 2)
  })
})
