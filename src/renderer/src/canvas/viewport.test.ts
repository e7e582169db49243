import { describe, expect, it } from 'vitest'
import { fitView, stageToContent, zoomAt } from './viewport'

describe('viewport maths', () => {
  it('fits with whole-number zoom when it can, centred', () => {
    expect(fitView({ width: 28, height: 28 }, { width: 800, height: 600 })).toEqual({ scale: 19, x: 134, y: 34 })
    expect(fitView({ width: 2000, height: 1000 }, { width: 1000, height: 1000 }).scale).toBeCloseTo(0.46)
  })

  it('zooms around the pointer: the point under it stays put', () => {
    const view = { scale: 4, x: 10, y: 20 }
    const pointer = { x: 200, y: 150 }
    const before = stageToContent(view, pointer)
    const after = stageToContent(zoomAt(view, pointer, 2), pointer)
    expect(after.x).toBeCloseTo(before.x)
    expect(after.y).toBeCloseTo(before.y)
    expect(zoomAt(view, pointer, 1000).scale).toBe(64)
  })
})
