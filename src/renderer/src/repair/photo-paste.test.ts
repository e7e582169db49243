import { describe, expect, it } from 'vitest'
import { cropMask, paintedBox, pastePainted, rgbaToPlanarRgb } from './photo-paste'

describe('full-size photo paste', () => {
  const width = 6
  const height = 4
  const mask = new Uint8Array(width * height)
  mask[1 * width + 2] = 255
  mask[2 * width + 3] = 40

  it('finds the painted box and crops the mask to it', () => {
    const box = paintedBox(mask, width, height)!
    expect(box).toEqual({ x: 2, y: 1, width: 2, height: 2 })
    expect(Array.from(cropMask(mask, width, box))).toEqual([255, 0, 0, 40])
    expect(paintedBox(new Uint8Array(width * height), width, height)).toBeNull()
  })

  it('pastes the square only where painted and leaves every other pixel of the photo as it was', () => {
    const photo = Uint8Array.from({ length: 3 * width * height }, (_, i) => i % 251)
    const rect = { x: 1, y: 0, width: 4, height: 3 }
    const square = new Uint8Array(rect.width * rect.height * 4).fill(7) // differs from the photo everywhere
    const out = pastePainted(photo, width, height, rect, square, mask)
    const plane = width * height
    for (let i = 0; i < plane; i++)
      for (let c = 0; c < 3; c++) expect(out[c * plane + i]).toBe(mask[i] > 0 ? 7 : photo[c * plane + i])
    expect(photo[plane + 1 * width + 2]).not.toBe(7) // the input is not touched
  })

  it('refuses a square that does not fit the photo', () => {
    expect(() => pastePainted(new Uint8Array(3 * width * height), width, height, { x: 4, y: 0, width: 4, height: 4 }, new Uint8Array(64), mask)).toThrow(/does not fit the 6x4 photo/)
  })

  it('converts interleaved RGBA to planar RGB', () => {
    expect(Array.from(rgbaToPlanarRgb(Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 255]), 2, 1))).toEqual([1, 4, 2, 5, 3, 6])
  })
})
