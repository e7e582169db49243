import { describe, expect, it } from 'vitest'
import { createStudioStore } from '../store/studio-store'
import { decodeSession, encodeSession } from './session-codec'
import { addStroke, replaceDocument } from '../repair/repair-history'

describe('session codec', () => {
  it('round-trips gallery, settings and the repair document with its history', () => {
    const store = createStudioStore()
    const photo = { name: 'p.png', originalWidth: 40, originalHeight: 30, width: 2, height: 2, channels: 1, bytes: Uint8Array.of(1, 2, 3, 4) }
    let history = replaceDocument(store.getState().repair.history, 'import', { photo, strokes: [] })
    history = addStroke(history, { points: [[1, 1]], size: 2, strength: 1, softness: 0, erase: false })
    const item = { id: 'a', kind: 'generate' as const, png: 'iVBOR', width: 2, height: 2, title: 'Bag', params: { seed: 3 }, steps: 12, gradNorm: 0.1, createdAt: 5 }
    store.setState((s) => ({ tool: 'repair', gallery: [item], canvasImages: [item], repair: { ...s.repair, history }, generate: { ...s.generate, seed: 99, lockSeed: true } }))

    const json = JSON.parse(JSON.stringify(encodeSession(store.getState())))
    const fresh = createStudioStore()
    const decoded = decodeSession(json, fresh.getState())
    if ('error' in decoded) throw new Error(decoded.error)
    fresh.setState(decoded.state)
    const restored = fresh.getState()
    expect(restored.tool).toBe('repair')
    expect(restored.gallery).toEqual([item])
    expect(restored.canvasImages.map((i) => i.id)).toEqual(['a'])
    expect(restored.generate.seed).toBe(99)
    expect(Array.from(restored.repair.history.document.photo!.bytes)).toEqual([1, 2, 3, 4])
    expect(restored.repair.history.document.strokes).toHaveLength(1)
    expect(restored.repair.history.undo.map((e) => e.kind)).toEqual(['replace', 'stroke'])
  })

  it('refuses a damaged session with a reason instead of applying part of it', () => {
    const fresh = createStudioStore()
    expect(decodeSession({ version: 1, tool: 'paint' }, fresh.getState())).toMatchObject({ error: expect.stringContaining('tool') })
    expect(decodeSession(null, fresh.getState())).toHaveProperty('error')
  })
})
