import { describe, expect, it } from 'vitest'
import { AnalyticField, constantMean } from '../../../test/support/analytic-field'
import { SeededRandom } from '../rng'
import { descend } from '../sampler'
import { EnergyEstimate } from './energy-estimate'

const SIZE = 64
const means = [constantMean(SIZE, 0.5), constantMean(SIZE, -0.25)]
const exact = (x: Float32Array, mu: Float32Array) => x.reduce((sum, v, i) => sum + 0.5 * (v - mu[i]) ** 2, 0)

describe('the energy estimate between exact values', () => {
  for (const method of ['gd', 'nag', 'clock'] as const) {
    it(`follows the exact energy of a quadratic along a ${method} descent`, async () => {
      const field = new AnalyticField(means, 1)
      const samples = [0, 1].map((seed) => ({ x: new SeededRandom(seed).fillNormal(new Float32Array(SIZE)) }))
      const estimate = new EnergyEstimate(samples.length)
      const start = samples.map((s) => exact(s.x, means[0]))
      estimate.anchor(start)
      let worst = 0
      await descend(field, samples, {
        method,
        stepSize: 0.05,
        mu: 0.3,
        maxSteps: 40,
        stopGradNorm: 0,
        cfg: 1,
        conditions: [{ classIndex: 0, weight: 1 }],
        onStep: ({ samples: now, energyChanges }) => {
          estimate.advance(energyChanges)
          const values = estimate.current()!
          now.forEach((s, i) => (worst = Math.max(worst, Math.abs(values[i] - exact(s.x, means[0])) / start[i])))
        }
      })
      // first order along the path: the error is the sum of the steps' second-order terms,
      // a few percent of the start energy at this step size; a wrong sign or scale is far off
      expect(worst).toBeLessThan(0.05)
      // (the clock integrates a flow, not a descent: on this field it need not end low)
      if (method !== 'clock') expect(estimate.current()![0]).toBeLessThan(start[0] / 5)
    })
  }

  it('takes exact energies that arrive steps later at the moment they were asked for (mark)', () => {
    const now = new EnergyEstimate(1)
    const later = new EnergyEstimate(1)
    const mark = later.mark()
    now.anchor([10])
    for (const change of [-2, -0.5]) {
      now.advance([change])
      later.advance([change])
    }
    later.anchor([10], mark)
    expect(later.current()).toEqual(now.current())
    expect(now.current()).toEqual([7.5])
  })

  it('has no values before its anchor', () => {
    const estimate = new EnergyEstimate(1)
    estimate.advance([-1])
    expect(estimate.current()).toBeUndefined()
    expect(estimate.change()).toEqual([-1])
    estimate.anchor([10])
    expect(estimate.current()).toEqual([10])
  })

  it("a descent's change is <f, dx> of its own moves: -eta |f|^2 a GD step, held elements left out", async () => {
    const field = new AnalyticField(means, 1)
    const freedom = new Float32Array(SIZE).fill(1).fill(0, 0, SIZE / 4)
    const sample = { x: new SeededRandom(4).fillNormal(new Float32Array(SIZE)), freedom }
    let before = Float32Array.from(sample.x)
    const seen: number[][] = []
    await descend(field, [sample], {
      method: 'gd', stepSize: 0.05, mu: 0, maxSteps: 3, stopGradNorm: 0, cfg: 1, conditions: [{ classIndex: 0, weight: 1 }],
      onStep: ({ energyChanges }) => {
        // the analytic field's f at the step's start: x - mean of class 0, times freedom
        const squares = before.reduce((sum, v, i) => sum + (freedom[i] * (v - means[0][i])) ** 2, 0)
        seen.push([energyChanges[0], -0.05 * squares])
        // a move the sampler did not make (as repair's re-noising): never in the next change
        sample.x[SIZE - 1] += 100
        before = Float32Array.from(sample.x)
      }
    })
    expect(seen).toHaveLength(3)
    for (const [change, expected] of seen) expect(change).toBeCloseTo(expected, 3)
  })
})
