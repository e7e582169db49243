import type { EngineClient } from '../host/engine-client'
import type { GalleryItem, StudioState, StudioStore } from '../store/studio-store'
import type { HistoryOp } from '../../../shared/engine-protocol'
import { bytesToBase64 } from '../../../shared/base64'
import { encodeHistoryEntry, encodeSession, sessionPhotos } from './session-codec'
import { restoreSession, type Restored } from './restore'

export interface AutosaveTimings {
  /** settings and canvas edits come in bursts (a slider drag): one save after they settle */
  settingsDelayMs: number
  /** after a failed save, the waits before each new try (the last repeats): the engine may be restarting */
  retryDelaysMs: readonly number[]
}

export const AUTOSAVE_TIMINGS: AutosaveTimings = { settingsDelayMs: 600, retryDelaysMs: [1000, 2000, 4000, 8000, 15000] }

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

export interface Autosave {
  /** saves what is pending now instead of after its delay */
  flush(): void
  /**
   * Before the window closes: saves what is pending now (a waiting retry too) and resolves when
   * that save is over, true when everything is saved. Unlike settled(), it never waits out a retry.
   */
  saveBeforeClose(): Promise<boolean>
  /** resolves when no save is scheduled or running (tests, and a clean quit) */
  settled(): Promise<void>
  stop(): void
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * Saves after every user change: new or removed results as lines appended to the history
 * journal, settings and the repair document to a small session.json, photos to the image
 * store. The cost of a save does not grow with the history.
 *
 * New results are saved at once, not after the settings' delay: a result exists only in this
 * window until the journal has it, and an engine or server that stops in that window would
 * take it along. A save that fails is tried again on a timer until it works, so work made
 * before a crash is saved once the engine is back, without waiting for another change.
 */
export function startAutosave(store: StudioStore, client: EngineClient, restored: Pick<Restored, 'saved' | 'migrated'>, timings = AUTOSAVE_TIMINGS): Autosave {
  let savedGallery = restored.saved
  let lastKey: unknown[] = restored.migrated ? [] : sessionKey(store.getState())
  const photoRefs = new WeakMap<Uint8Array, string>()
  let timer: ReturnType<typeof setTimeout> | null = null
  let timerDue = Infinity
  let saving: Promise<void> = Promise.resolve()
  let failures = 0
  let stopped = false

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
  /** schedules a save in `delayMs` unless one is already due sooner */
  const schedule = (delayMs: number) => {
    if (stopped) return
    const due = Date.now() + delayMs
    if (timer && timerDue <= due) return
    if (timer) clearTimeout(timer)
    timerDue = due
    timer = setTimeout(save, delayMs)
  }
  const save = () => {
    if (timer) clearTimeout(timer)
    timer = null
    timerDue = Infinity
    saving = saving.then(saveNow).then(
      () => {
        if (failures > 0) store.setState({ notice: { kind: 'info', text: 'Autosave works again: everything is saved.' } })
        failures = 0
      },
      (error: Error) => {
        const wait = timings.retryDelaysMs[Math.min(failures, timings.retryDelaysMs.length - 1)]
        // the notice once per run of failures: retries do not cover what the user is told meanwhile
        if (failures === 0) {
          const unsaved = historyOps(savedGallery, store.getState().gallery).reduce((n, op) => n + (op.op === 'add' ? 1 : 0), 0)
          const what = unsaved > 0 ? `${plural(unsaved, 'new result')} and your settings are` : 'Your work is'
          store.setState({ notice: { kind: 'error', text: `Autosave failed: ${error.message}. ${what} still here, and saving is tried again every few seconds.` } })
        }
        failures++
        schedule(wait)
      }
    )
  }
  let lastSeen = { gallery: store.getState().gallery, key: sessionKey(store.getState()) }
  const onChange = () => {
    const state = store.getState()
    const key = sessionKey(state)
    const galleryChanged = state.gallery !== lastSeen.gallery
    if (!galleryChanged && key.every((part, i) => part === lastSeen.key[i])) return
    lastSeen = { gallery: state.gallery, key }
    // a retry already pending covers this change too; a new result never waits for a slider to settle
    if (failures === 0) schedule(galleryChanged ? 0 : timings.settingsDelayMs)
  }
  const unsubscribe = store.subscribe(onChange)
  if (restored.migrated) save()
  return {
    flush: () => {
      if (timer) save()
    },
    saveBeforeClose: async () => {
      if (timer) save()
      await saving
      return failures === 0 && !timer
    },
    settled: async () => {
      for (;;) {
        const current = saving
        await current
        if (current === saving && !timer) return
        if (timer && current === saving) await new Promise((resume) => setTimeout(resume, Math.max(0, timerDue - Date.now())))
      }
    },
    stop: () => {
      stopped = true
      unsubscribe()
      if (timer) clearTimeout(timer)
      timer = null
    }
  }
}

/**
 * Restores the last session, then autosaves. Saving starts only after the restore, so an
 * empty start never overwrites a saved session, and a read-only view (another tab has the
 * session) never saves.
 */
export async function restoreAndAutosave(store: StudioStore, client: EngineClient): Promise<Autosave | null> {
  const restored = await restoreSession(store, client)
  if (restored.blocked || restored.readOnly) return null
  const autosave = startAutosave(store, client, restored)
  // a tab cannot hold its close: start the save, which the engine finishes if the server lives
  window.addEventListener('beforeunload', autosave.flush)
  return autosave
}
