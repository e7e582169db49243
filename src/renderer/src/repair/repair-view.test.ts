import { describe, expect, it } from 'vitest'
import { base64ToBytes, bytesToBase64 } from '../../../shared/base64'
import { compareSide, holdOutsideMask } from './repair-view'

describe('repair view', () => {
  const photo = { name: 'p', originalWidth: 2, originalHeight: 2, width: 2, height: 2, channels: 1, bytes: Uint8Array.of(10, 20, 30, 40) }
  const preview = { width: 2, height: 2, channels: 1 as const, columns: 1, rows: 1, tileWidth: 2, tileHeight: 2, data: bytesToBase64(Uint8Array.of(200, 200, 200, 200)) }

  it('shows the photo outside the painted region and the descent inside, blended at soft edges', () => {
    const shown = holdOutsideMask(preview, photo, Uint8Array.of(0, 255, 128, 0))
    expect(Array.from(base64ToBytes(shown.data))).toEqual([10, 200, Math.round((128 / 255) * 200 + (127 / 255) * 30), 40])
  })

  it('leaves a grid or a differently sized preview alone', () => {
    expect(holdOutsideMask({ ...preview, columns: 2 }, photo, new Uint8Array(4)).data).toBe(preview.data)
  })

  it('puts the photo before the repair left of the divider', () => {
    expect(compareSide(2, 28, 0.5)).toBe('before')
    expect(compareSide(20, 28, 0.5)).toBe('after')
  })
})
