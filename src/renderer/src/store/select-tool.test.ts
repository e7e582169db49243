import { describe, expect, it } from 'vitest'
import { createStudioStore, selectTool } from './studio-store'

describe('moving to another tool', () => {
  it("takes a notice about the previous tool's own input with it, and keeps every other notice", () => {
    const store = createStudioStore()
    store.setState({ tool: 'repair', notice: { kind: 'error', text: 'photo.png is not an image', tool: 'repair' } })
    selectTool(store, 'repair')
    expect(store.getState().notice?.text).toBe('photo.png is not an image')
    selectTool(store, 'ood')
    expect(store.getState()).toMatchObject({ tool: 'ood', notice: null })
    // a notice about the engine or the session concerns every tool
    store.setState({ notice: { kind: 'info', text: 'The engine crashed and was restarted.' } })
    selectTool(store, 'generate')
    expect(store.getState()).toMatchObject({ tool: 'generate', notice: { text: 'The engine crashed and was restarted.' } })
  })
})
