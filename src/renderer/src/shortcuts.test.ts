import { describe, expect, it } from 'vitest'
import { keyName, SHORTCUTS } from './shortcuts'

const press = (key: string, mods: { ctrl?: boolean; shift?: boolean } = {}) => keyName({ key, ctrlKey: !!mods.ctrl, metaKey: false, shiftKey: !!mods.shift })

describe('shortcuts', () => {
  it('names keys the way the table lists them', () => {
    expect(press('Enter', { ctrl: true })).toBe('Ctrl+Enter')
    expect(press('z', { ctrl: true })).toBe('Ctrl+Z')
    expect(press('Z', { ctrl: true, shift: true })).toBe('Ctrl+Shift+Z')
    expect(press('f')).toBe('F')
    expect(press('[')).toBe('[')
    expect(press('Escape')).toBe('Escape')
  })

  it('has one owner per key in each tool', () => {
    const seen = new Map<string, string>()
    for (const s of SHORTCUTS) for (const key of s.keys) {
      const scope = s.when ? s.label.match(/\((\w+)\)$/)?.[1] ?? 'tool' : 'all'
      expect(seen.get(`${scope}:${key}`), key).toBeUndefined()
      seen.set(`${scope}:${key}`, s.label)
    }
    expect(SHORTCUTS.find((s) => s.keys.includes('F'))?.label).toBe('Fit the canvas to its content')
  })
})
