import type { EngineClient } from '../host/engine-client'
import type { GalleryItem, StudioState, StudioStore } from '../store/studio-store'
import type { HistoryOp } from '../../../shared/engine-protocol'
import { bytesToBase64 } from '../../../shared/base64'
import { encodeHistoryEntry, encodeSession, sessionPhotos } from './session-codec'
import { restoreSession } from './restore'

const SAVE_DELAY_MS = 600

/** The parts of session.json: a change in any of them schedules a save (the gallery goes to the journal). */
function sessionKey(state: StudioState): unknown[] {
  const { compose } = state
  return [compose.rows, compose.count, compose.seed, compose.lockSeed, compose.sampler, state.tool, state.modelId, state.providerPreference, state.cpuPrecisionPreference, state.generate, state.canvasImages, state.repair.history, state.repair.settings]
}

/** The journal operations that take the saved history to the current one: removals, then additions oldest first. */
export function historyOps(saved: readonly GalleryItem[], current: readonly GalleryItem[]): HistoryOp[] {
  const before = new Map(saved.map((item) => [item.id, item]))
  const now = new Set(current.map((item) => item.id))
  const removed = saved.filter((item) => !now.has(item.id)).map((item) => item.id)
  const added = current.filter((item) => before.get(item.id) !== item).reverse()
  return [...(removed.length ? [{ op: 'remove' as const, ids: removed }] : []), ...added.map((item) => ({ op: 'add' as const, entry: encodeHistoryEntry(item) }))]
}

/**
 * Restores the last session, then saves (debounced) after every user change: new or removed
 * results as lines appended to the history journal, settings and the repair document to a
 * small session.json, photos to the image store. The cost of a save does not grow with the
 * history. Saving starts only after the restore, so an empty start never overwrites a saved
 * session, and a read-only view (another tab has the session) never saves.
 */
export async function restoreAndAutosave(store: StudioStore, client: EngineClient): Promise<() => void> {
  const restored = await restoreSession(store, client)
  if (restored.blocked || restored.readOnly) return () => {}

  let savedGallery = restored.saved
  let lastKey: unknown[] = restored.migrated ? [] : sessionKey(store.getState())
  const photoRefs = new WeakMap<Uint8Array, string>()
  let timer: ReturnType<typeof setTimeout> | null = null
  let saving: Promise<void> = Promise.resolve()

  const saveNow = async () => {
    const state = store.getState()
    const ops = historyOps(savedGallery, state.gallery)
    if (ops.length > 0) {
      await client.call('history.append', { ops })
      savedGallery = state.gallery
    }
    const key = sessionKey(state)
    if (key.length === lastKey.length && key.every((part, i) => part === lastKey[i])) return
    const photos = sessionPhotos(state).filter((bytes) => !photoRefs.has(bytes))
    if (photos.length > 0) {
      const { refs } = await client.call('store.put', { blobs: photos.map((bytes) => ({ data: bytesToBase64(bytes), type: 'raw' as const })) })
      photos.forEach((bytes, i) => photoRefs.set(bytes, refs[i]))
    }
    await client.call('session.save', { data: encodeSession(state, state.compose, (bytes) => photoRefs.get(bytes)!) })
    lastKey = key
  }
  const save = () => {
    timer = null
    saving = saving.then(saveNow).catch((error: Error) => {
      store.setState({ notice: { kind: 'error', text: `Autosave failed: ${error.message}. Your work is still here; it will be saved again on the next change.` } })
    })
  }
  let lastSeen = { gallery: store.getState().gallery, key: sessionKey(store.getState()) }
  const onChange = () => {
    const state = store.getState()
    const key = sessionKey(state)
    if (state.gallery === lastSeen.gallery && key.every((part, i) => part === lastSeen.key[i])) return
    lastSeen = { gallery: state.gallery, key }
    if (timer) clearTimeout(timer)
    timer = setTimeout(save, SAVE_DELAY_MS)
  }
  const unsubscribers = [store.subscribe(onChange)]
  if (restored.migrated) save()
  const flush = () => {
    if (timer) {
      clearTimeout(timer)
      save()
    }
  }
  window.addEventListener('beforeunload', flush)
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe()
    window.removeEventListener('beforeunload', flush)
  }
}
