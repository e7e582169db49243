import { describe, expect, it } from 'vitest'
import { estimateNoiseLevel, renoiseHeld, repairStart, restoreHeld } from './held-renoise'
import { SeededRandom } from './rng'

describe('held-pixel re-noising for repair', () => {
  const shape: [number, number, number] = [1, 28, 28]
  const size = 28 * 28
  // a photo with structure: a bright block on a dark background
  const photo = Float32Array.from({ length: size }, (_, i) => ((i % 28) > 8 && (i % 28) < 20 ? 0.8 : -0.9))
  const everywhere = new Float32Array(size).fill(1)

  it('estimates the painted noise level from the image alone', () => {
    for (const s of [0, 0.3, 0.5, 1]) {
      const noise = new SeededRandom(3).fillNormal(new Float32Array(size))
      const x = photo.map((p, i) => p + s * (noise[i] - p))
      expect(estimateNoiseLevel(x, everywhere, shape)).toBeCloseTo(s, 1)
    }
  })

  it('looks only at the free region, and says 0 when it is too small to tell', () => {
    const noise = new SeededRandom(4).fillNormal(new Float32Array(size))
    const left = Float32Array.from({ length: size }, (_, i) => ((i % 28) < 14 ? 1 : 0))
    const x = photo.map((p, i) => (left[i] ? p + 0.6 * (noise[i] - p) : p))
    expect(estimateNoiseLevel(x, left, shape)).toBeCloseTo(0.6, 1)
    expect(estimateNoiseLevel(x, new Float32Array(size), shape)).toBe(0)
  })

  it('re-noises held elements to the level, blends partly held ones, leaves free ones', () => {
    const x = new Float32Array([0.5, 0.5, 0.5])
    const freedom = new Float32Array([1, 0, 0.5])
    const p = new Float32Array([0, 0.2, 0.2])
    const n = new Float32Array([1, 1, 1])
    renoiseHeld(x, freedom, p, n, 0.5)
    expect(x[0]).toBe(0.5)
    expect(x[1]).toBeCloseTo(0.6)
    expect(x[2]).toBeCloseTo(0.5 * 0.5 + 0.5 * 0.6)
    renoiseHeld(x, freedom, p, n, 0)
    expect(x[1]).toBeCloseTo(0.2)
  })
})

describe('restoring held pixels after a repair', () => {
  it('puts held elements back exactly, blends partly held ones, leaves free ones', () => {
    const x = new Float32Array([0.5, 0.9, 0.5])
    restoreHeld(x, new Float32Array([1, 0, 0.5]), new Float32Array([0, 0.123, 0.2]))
    expect(x[0]).toBe(0.5)
    expect(x[1]).toBe(Math.fround(0.123))
    expect(x[2]).toBeCloseTo(0.35)
  })
})

describe('the start of a repair', () => {
  const size = 28 * 28
  const photo = Float32Array.from({ length: size }, (_, i) => ((i % 28) > 8 && (i % 28) < 20 ? 0.8 : -0.9))

  it('starts a repair from the seed: the painted region noised by the strength, held pixels the photo', () => {
    const freedom = Float32Array.from({ length: size }, (_, i) => (i < 300 ? 0 : i < 400 ? 0.5 : 1))
    const { x, heldNoise } = repairStart(photo, freedom, 0.6, 42)
    const rng = new SeededRandom(42)
    const noise = rng.fillNormal(new Float32Array(size))
    expect(Array.from(heldNoise)).toEqual(Array.from(rng.fillNormal(new Float32Array(size))))
    expect(Array.from(x.subarray(0, 300))).toEqual(Array.from(photo.subarray(0, 300)))
    expect(x[350]).toBeCloseTo(photo[350] + 0.5 * 0.6 * (noise[350] - photo[350]), 6)
    expect(x[500]).toBeCloseTo(photo[500] + 0.6 * (noise[500] - photo[500]), 6)
    expect(Array.from(repairStart(photo, freedom, 0.6, 42).x)).toEqual(Array.from(x))
  })
})
