import { describe, expect, it } from 'vitest'
import { stepsToThreshold } from './eta'

/** a sample whose RMS decays geometrically: r_n = r0 * q^n */
const decay = (r0: number, q: number, steps: number[]) => steps.map((step) => ({ step, norms: [r0 * q ** step] }))

describe('ETA from the descent', () => {
  it('finds when a geometric decay crosses the threshold', () => {
    // 2 * 0.9^n < 0.35 from n = 17 on; at step 8, 9 steps are left of a 200-step budget
    expect(stepsToThreshold(decay(2, 0.9, [4, 5, 6, 7, 8]), 0.35, 200)).toBe(9)
  })

  it('waits for the slowest sample, ignores the stopped ones, and never exceeds max steps', () => {
    const history = [1, 2, 3, 4].map((step) => ({ step, norms: [2 * 0.5 ** step, 1 * 0.97 ** step, 0.1] }))
    const slow = Math.ceil((Math.log(0.35) - Math.log(0.97 ** 4)) / Math.log(0.97))
    expect(stepsToThreshold(history, 0.35, 1000)).toBe(slow)
    expect(stepsToThreshold(history, 0.35, 20)).toBe(16)
    // flat: runs to max steps
    expect(stepsToThreshold([1, 2, 3].map((step) => ({ step, norms: [1] })), 0.35, 50)).toBe(47)
  })

  it('has no estimate without a threshold or before a trend exists', () => {
    expect(stepsToThreshold(decay(2, 0.9, [1, 2, 3]), 0, 50)).toBeNull()
    expect(stepsToThreshold(decay(2, 0.9, [1, 2]), 0.35, 50)).toBeNull()
  })
})
