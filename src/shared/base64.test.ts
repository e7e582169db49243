import { describe, expect, it } from 'vitest'
import { base64ToBytes, bytesToBase64 } from './base64'

describe('base64', () => {
  it('encodes as btoa does, views into a larger buffer included, and round-trips', () => {
    const whole = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256)
    const view = whole.subarray(13, 65_550)
    const viaBtoa = btoa(String.fromCharCode(...Array.from(view)))
    expect(bytesToBase64(view)).toBe(viaBtoa)
    expect(base64ToBytes(bytesToBase64(view))).toEqual(view)
    expect(bytesToBase64(new Uint8Array(0))).toBe('')
  })

  it('refuses text that is not base64', () => {
    expect(() => base64ToBytes('not base64!')).toThrow()
  })
})
