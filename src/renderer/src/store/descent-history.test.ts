import { describe, expect, it } from 'vitest'
import type { Frame } from '../../../shared/frames'
import { appendDescentPoint, type DescentPoint } from './descent-history'

const preview = { width: 1, height: 1, channels: 1 as const, columns: 1, rows: 1, tileWidth: 1, tileHeight: 1, data: 'AA==' }
const frame = (step: number, extra: Partial<Frame>): Frame => ({ jobId: 'j', seq: step, step, maxSteps: 10, gradNorms: [1, 2], active: 2, preview, ...extra })

describe('appendDescentPoint', () => {
  it('puts the change-since-start points on the exact scale when the last frame brings its offsets', () => {
    let history: DescentPoint[] = []
    history = appendDescentPoint(history, frame(1, { energies: [-1, -2], energyKind: 'change' }))
    history = appendDescentPoint(history, frame(2, { energies: [-3, -5], energyKind: 'change' }))
    expect(history.map((h) => h.energyKind)).toEqual(['change', 'change'])
    // exact energies at the end 10 and 20, with the change then at -4 and -6: offsets 14 and 26
    history = appendDescentPoint(history, frame(3, { energies: [10, 20], energyKind: 'exact', energyOffsets: [14, 26] }))
    expect(history.map((h) => h.energies)).toEqual([
      [13, 24],
      [11, 21],
      [10, 20]
    ])
    expect(history.map((h) => h.energyKind)).toEqual(['estimate', 'estimate', 'exact'])
  })

  it('leaves points without energies, or already on the exact scale, as they were', () => {
    let history: DescentPoint[] = [
      { step: 1, norms: [1] },
      { step: 2, norms: [1], energies: [5], energyKind: 'estimate' }
    ]
    history = appendDescentPoint(history, frame(3, { gradNorms: [0.5], energies: [4], energyKind: 'exact', energyOffsets: [100] }))
    expect(history[0]).toEqual({ step: 1, norms: [1] })
    expect(history[1].energies).toEqual([5])
    expect(history[2]).toMatchObject({ step: 3, norms: [0.5], energies: [4] })
  })
})
