import { describe, expect, it } from 'vitest'
import { SeededRandom, imageSeed } from './rng'

describe('SeededRandom', () => {
  it('repeats exactly for a seed and differs across seeds', () => {
    const a = new SeededRandom(42).fillNormal(new Float32Array(1000))
    const b = new SeededRandom(42).fillNormal(new Float32Array(1000))
    const c = new SeededRandom(43).fillNormal(new Float32Array(1000))
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true)
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false)
  })

  it('draws standard normals', () => {
    const values = new SeededRandom(1).fillNormal(new Float32Array(200_000))
    const mean = values.reduce((s, v) => s + v, 0) / values.length
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length
    expect(Math.abs(mean)).toBeLessThan(0.01)
    expect(Math.abs(variance - 1)).toBeLessThan(0.01)
  })

  it('gives image i of a job the seed that reproduces it alone', () => {
    expect(imageSeed(10, 3)).toBe(13)
    expect(imageSeed(2 ** 32 - 1, 1)).toBe(0)
  })
})
