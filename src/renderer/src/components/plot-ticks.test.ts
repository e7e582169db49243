import { describe, expect, it } from 'vitest'
import { compactNumber, logAxisTick } from './plot-ticks'

describe('descent plot tick labels', () => {
  it('write the gradient RMS axis without exponents above 0.01', () => {
    expect([0.05, 0.5, 1, 10, 100, 200, 2000, 20000].map(logAxisTick)).toEqual(['0.05', '0.5', '1', '10', '100', '200', '2k', '20k'])
    expect(logAxisTick(0.005)).toBe('5e-3')
    expect(logAxisTick(null)).toBe('')
  })

  it('write energies compactly', () => {
    expect([-2400, -2000, -200, 0, 1766, -12000].map(compactNumber)).toEqual(['-2.4k', '-2k', '-200', '0', '1.8k', '-12k'])
  })
})
