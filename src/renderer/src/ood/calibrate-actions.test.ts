import { describe, expect, it } from 'vitest'
import { calibratingText } from './calibrate-actions'

describe('calibratingText', () => {
  it('says how many images, then after a few seconds how long it has taken', () => {
    expect(calibratingText(40, 0)).toBe('Calibrating on 40 images…')
    expect(calibratingText(40, 2900)).toBe('Calibrating on 40 images…')
    expect(calibratingText(1024, 3000)).toBe('Calibrating on 1024 images… 0:03 so far')
    expect(calibratingText(1024, 125_400)).toBe('Calibrating on 1024 images… 2:05 so far')
  })
})
