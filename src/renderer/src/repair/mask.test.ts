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

  it('matches the max of dabs along the path (the brush definition) within a level, soft edges included', () => {
    const stroke = brush([[3.2, 4.1], [12.7, 9.3], [5.5, 13.8]], { size: 7, softness: 0.6, opacity: 0.8 })
    const mask = rasterizeStrokes([stroke], 16, 16)
    // the definition, dab by dab at 0.01 px along each segment
    const radius = 3.5
    const hard = radius * 0.4
    for (let y = 0; y < 16; y++)
      for (let x = 0; x < 16; x++) {
        let best = 0
        for (let p = 1; p < stroke.points.length; p++) {
          const [[ax, ay], [bx, by]] = [stroke.points[p - 1], stroke.points[p]]
          const steps = Math.ceil(Math.hypot(bx - ax, by - ay) / 0.01)
          for (let s = 0; s <= steps; s++) {
            const d = Math.hypot(x + 0.5 - (ax + ((bx - ax) * s) / steps), y + 0.5 - (ay + ((by - ay) * s) / steps))
            if (d <= radius) best = Math.max(best, d <= hard ? 1 : (radius - d) / (radius - hard))
          }
        }
        expect(Math.abs(mask[y * 16 + x] - Math.round(best * 0.8 * 255))).toBeLessThanOrEqual(1)
      }
  })
})
