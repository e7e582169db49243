import { describe, expect, it } from 'vitest'
import { createStudioStore } from '../store/studio-store'
import { decodeSession, encodeSession } from './session-codec'
import { addStroke, replaceDocument } from '../repair/repair-history'
import { createComposeStore } from '../compose/compose-store'

describe('session codec', () => {
  it('round-trips gallery, settings and the repair document with its history', () => {
    const store = createStudioStore()
    const photo = { name: 'p.png', originalWidth: 40, originalHeight: 30, width: 2, height: 2, channels: 1, bytes: Uint8Array.of(1, 2, 3, 4) }
    let history = replaceDocument(store.getState().repair.history, 'import', { photo, strokes: [] })
    history = addStroke(history, { points: [[1, 1]], size: 2, opacity: 1, softness: 0, erase: false })
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

  it('keeps the Compose classes, weights and seed', () => {
    const compose = createComposeStore()
    compose.setState({ modelId: 'm', rows: [{ key: 1, classIndex: 2, weight: 0.7 }, { key: 2, classIndex: 5, weight: -0.4 }], seed: 42, lockSeed: true, count: 3 })
    const json = JSON.parse(JSON.stringify(encodeSession(createStudioStore().getState(), compose.getState())))
    const decoded = decodeSession(json, createStudioStore().getState())
    if ('error' in decoded) throw new Error(decoded.error)
    expect(decoded.compose).toMatchObject({ modelId: 'm', seed: 42, lockSeed: true, count: 3 })
    expect(decoded.compose!.rows!.map((r) => [r.classIndex, r.weight])).toEqual([[2, 0.7], [5, -0.4]])
  })

  it('refuses a damaged session with a reason instead of applying part of it', () => {
    const fresh = createStudioStore()
    expect(decodeSession({ version: 1, tool: 'paint' }, fresh.getState())).toMatchObject({ error: expect.stringContaining('tool') })
    expect(decodeSession(null, fresh.getState())).toHaveProperty('error')
  })
})
