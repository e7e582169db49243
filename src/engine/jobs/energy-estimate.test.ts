import { describe, expect, it } from 'vitest'
import { AnalyticField, constantMean } from '../../../test/support/analytic-field'
import { SeededRandom } from '../rng'
import { descend } from '../sampler'
import { EnergyEstimate } from './energy-estimate'

const SIZE = 64
const means = [constantMean(SIZE, 0.5), constantMean(SIZE, -0.25)]
const exact = (x: Float32Array, mu: Float32Array) => x.reduce((sum, v, i) => sum + 0.5 * (v - mu[i]) ** 2, 0)

describe('the energy estimate between exact values', () => {
  for (const method of ['gd', 'nag'] as const) {
    it(`follows the exact energy of a quadratic along a ${method} descent`, async () => {
      const field = new AnalyticField(means, 1)
      const samples = [0, 1].map((seed) => ({ x: new SeededRandom(seed).fillNormal(new Float32Array(SIZE)) }))
      const estimate = new EnergyEstimate(samples)
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
        onStep: ({ samples: now, gradients }) => {
          estimate.advance(now, gradients)
          const values = estimate.current()!
          now.forEach((s, i) => (worst = Math.max(worst, Math.abs(values[i] - exact(s.x, means[0])) / start[i])))
        }
      })
      // first order along the path: the error is the sum of the steps' second-order terms,
      // a few percent of the start energy at this step size; a wrong sign or scale is far off
      expect(worst).toBeLessThan(0.05)
      expect(estimate.current()![0]).toBeLessThan(start[0] / 5)
    })
  }

  it('takes exact energies that arrive steps later at the moment they were asked for (mark)', () => {
    const sample = { x: new Float32Array(SIZE).fill(1) }
    const now = new EnergyEstimate([sample])
    const later = new EnergyEstimate([sample])
    const mark = later.mark()
    now.anchor([10])
    for (const value of [0.5, 0.25]) {
      const f = Float32Array.from(sample.x)
      sample.x.fill(value)
      now.advance([sample], [f])
      later.advance([sample], [f])
    }
    later.anchor([10], mark)
    expect(later.current()).toEqual(now.current())
    expect(now.current()![0]).not.toBe(10)
  })

  it('leaves moves the descent did not make out (snapshot), and has no values before its anchor', () => {
    const sample = { x: new Float32Array(SIZE).fill(1) }
    const estimate = new EnergyEstimate([sample])
    expect(estimate.current()).toBeUndefined()
    estimate.anchor([10])
    sample.x.fill(3)
    estimate.snapshot([sample])
    estimate.advance([sample], [new Float32Array(SIZE).fill(1)])
    expect(estimate.current()).toEqual([10])
  })
})
