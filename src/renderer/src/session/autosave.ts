import type { EngineClient } from '../host/engine-client'
import type { StudioState, StudioStore } from '../store/studio-store'
import { decodeSession, encodeSession } from './session-codec'
import { composeStore, type ComposeState } from '../compose/compose-store'

const SAVE_DELAY_MS = 600

/** The parts of the state a session is made of: a change in any of them schedules a save. */
function sessionKey(state: StudioState, compose: ComposeState): unknown[] {
  return [compose.rows, compose.count, compose.seed, compose.lockSeed, compose.sampler, state.tool, state.modelId, state.providerPreference, state.generate, state.gallery, state.canvasImages, state.repair.history, state.repair.settings]
}

/**
 * Restores the last session, then saves (debounced) after every user change, through the
 * engine host into the user-data folder (temporary file + rename there). Saving starts
 * only after the restore, so an empty start never overwrites a saved session.
 */
export async function restoreAndAutosave(store: StudioStore, client: EngineClient): Promise<() => void> {
  try {
    const snapshot = await client.call('session.load', {})
    if (snapshot) {
      const decoded = decodeSession(snapshot.data, store.getState())
      if ('error' in decoded) store.setState({ notice: { kind: 'error', text: `Could not restore the last session: ${decoded.error}. Starting fresh; the old file is kept until the next save.` } })
      else {
        store.setState(decoded.state)
        if (decoded.compose) composeStore.setState(decoded.compose)
      }
    }
  } catch (error) {
    store.setState({ notice: { kind: 'error', text: `Could not restore the last session: ${(error as Error).message}` } })
  }

  let timer: ReturnType<typeof setTimeout> | null = null
  let lastKey = sessionKey(store.getState(), composeStore.getState())
  const save = () => {
    timer = null
    client.call('session.save', { data: encodeSession(store.getState(), composeStore.getState()) }).catch((error: Error) => {
      store.setState({ notice: { kind: 'error', text: `Autosave failed: ${error.message}. Your work is still here; it will be saved again on the next change.` } })
    })
  }
  const onChange = () => {
    const key = sessionKey(store.getState(), composeStore.getState())
    if (key.every((part, i) => part === lastKey[i])) return
    lastKey = key
    if (timer) clearTimeout(timer)
    timer = setTimeout(save, SAVE_DELAY_MS)
  }
  const unsubscribers = [store.subscribe(onChange), composeStore.subscribe(onChange)]
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
