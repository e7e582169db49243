import { describe, expect, it } from 'vitest'
import { blendInto, contextRect, featherAlpha, maskToLatent, paintedBounds } from './photo-context'

describe('photo repair context', () => {
  it('finds the painted bounds, or none', () => {
    const mask = new Uint8Array(10 * 6)
    expect(paintedBounds(mask, 10, 6)).toBeNull()
    mask[2 * 10 + 3] = 1
    mask[4 * 10 + 7] = 200
    expect(paintedBounds(mask, 10, 6)).toEqual({ x: 3, y: 2, width: 5, height: 3 })
  })

  it('takes a square of region + padding, at least the model side, moved inside the photo', () => {
    const region = { x: 5, y: 900, width: 40, height: 20 }
    expect(contextRect(region, 2000, 1000, { padding: 32, contextSize: 0, modelSide: 256 })).toEqual({ x: 0, y: 744, width: 256, height: 256 })
    expect(contextRect({ x: 800, y: 400, width: 600, height: 100 }, 2000, 1000, { padding: 32, contextSize: 0, modelSide: 256 })).toEqual({ x: 768, y: 118, width: 664, height: 664 })
    expect(contextRect(region, 2000, 1000, { padding: 32, contextSize: 512, modelSide: 256 }).width).toBe(512)
    // a photo smaller than the square: the largest square that fits
    expect(contextRect(region, 300, 120, { padding: 32, contextSize: 0, modelSide: 256 })).toEqual({ x: 0, y: 0, width: 120, height: 120 })
  })

  it('feathers outward by exactly `feather` pixels and keeps the painted values', () => {
    const w = 21
    const mask = new Uint8Array(w * w)
    mask[10 * w + 10] = 255
    const alpha = featherAlpha(mask, w, w, 4)
    expect(alpha[10 * w + 10]).toBe(255)
    expect(alpha[10 * w + 14]).toBeGreaterThan(0)
    expect(alpha[10 * w + 15]).toBe(0)
    expect(alpha[14 * w + 14]).toBeGreaterThan(0)
    expect(alpha[15 * w + 10]).toBe(0)
    expect(alpha[10 * w + 12]).toBeLessThan(alpha[10 * w + 11])
  })

  it('blends only where alpha is above 0', () => {
    const photo = new Uint8Array(2 * 1 * 4).fill(100)
    blendInto(photo, 2, { x: 0, y: 0, width: 2, height: 1 }, Uint8Array.of(200, 200, 200, 0, 0, 0), Uint8Array.of(255, 0))
    expect([...photo]).toEqual([200, 200, 200, 100, 100, 100, 100, 100])
  })

  it('brings a mask to the latent grid: a cell is as free as its most painted pixel', () => {
    const mask = new Uint8Array(4 * 4)
    mask[0] = 51
    mask[2 * 4 + 3] = 255
    const cells = maskToLatent(mask, 4, 2)
    expect(cells[0]).toBeCloseTo(0.2, 6)
    expect([...cells.slice(1)]).toEqual([0, 0, 1])
  })
})
