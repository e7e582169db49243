import { describe, expect, it } from 'vitest'
import { rasterizeStrokes, maskCoverage, type Stroke } from './mask'

const brush = (points: [number, number][], extra: Partial<Stroke> = {}): Stroke => ({ points, size: 4, opacity: 1, softness: 0, erase: false, ...extra })

describe('repair mask', () => {
  it('paints a hard disc of the brush size', () => {
    const mask = rasterizeStrokes([brush([[8, 8]])], 16, 16)
    expect(mask[8 * 16 + 8]).toBe(255)
    expect(mask[7 * 16 + 7]).toBe(255)
    expect(mask[0]).toBe(0)
    expect(mask[8 * 16 + 11]).toBe(0) // 3.5 px from the centre, radius 2
  })

  it('covers the whole segment between points, without building up', () => {
    const mask = rasterizeStrokes([brush([[2, 8], [14, 8]], { opacity: 0.5 })], 16, 16)
    for (let x = 2; x < 14; x++) expect(mask[8 * 16 + x]).toBe(128)
  })

  it('fades a soft edge and lets the eraser take noise away', () => {
    const soft = rasterizeStrokes([brush([[8, 8]], { size: 8, softness: 1 })], 16, 16)
    expect(soft[8 * 16 + 8]).toBeGreaterThan(soft[8 * 16 + 10])
    expect(soft[8 * 16 + 10]).toBeGreaterThan(0)
    const erased = rasterizeStrokes([brush([[8, 8]], { size: 8 }), brush([[8, 8]], { size: 2, erase: true })], 16, 16)
    expect(erased[8 * 16 + 8]).toBe(0)
    expect(erased[8 * 16 + 11]).toBe(255)
    expect(maskCoverage(erased)).toBeGreaterThan(0.1)
  })
})
