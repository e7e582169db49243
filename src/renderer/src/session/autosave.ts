import type { EngineClient } from '../host/engine-client'
import type { StudioState, StudioStore } from '../store/studio-store'
import { decodeSession, encodeSession } from './session-codec'
import { composeStore, type ComposeState } from '../compose/compose-store'

const SAVE_DELAY_MS = 600

/** The parts of the state a session is made of: a change in any of them schedules a save. */
function sessionKey(state: StudioState, compose: ComposeState): unknown[] {
  return [compose.rows, compose.count, compose.seed, compose.lockSeed, compose.sampler, state.tool, state.modelId, state.providerPreference, state.generate, state.gallery, state.canvasImages, state.repair.history, state.repair.settings]
}

function listProblems(problems: string[]): string {
  const shown = problems.slice(0, 3).join('; ')
  return problems.length > 3 ? `${shown}; and ${problems.length - 3} more` : shown
}

/**
 * Restores the last session. Everything readable comes back; a file that could not be read
 * whole is first copied aside by the engine (its path is shown), so the autosave that follows
 * never overwrites the only copy. Returns false when saving must stay off (the copy failed).
 */
async function restoreSession(store: StudioStore, client: EngineClient): Promise<boolean> {
  const notice = (kind: 'error' | 'info', text: string) => store.setState({ notice: { kind, text } })
  let snapshot
  try {
    snapshot = await client.call('session.load', {})
  } catch (error) {
    notice('error', `Could not read the last session: ${(error as Error).message}. Autosave is off for this run, so that file is not overwritten.`)
    return false
  }
  if (!snapshot) return true
  if ('unreadable' in snapshot) {
    notice('error', `The last session could not be read (${snapshot.unreadable}). It is kept, unchanged, at ${snapshot.keptAt}; starting fresh.`)
    return true
  }
  const decoded = decodeSession(snapshot.data, store.getState())
  store.setState(decoded.state)
  if (decoded.compose) composeStore.setState(decoded.compose)
  if (decoded.problems.length === 0 && !decoded.newer) return true
  let keptAt: string
  try {
    keptAt = (await client.call('session.keepAside', { reason: decoded.newer ? 'newer' : 'partial' })).keptAt
  } catch (error) {
    notice('error', `Part of the last session could not be read (${listProblems(decoded.problems)}) and a copy could not be kept (${(error as Error).message}). Autosave is off for this run, so that file is not overwritten.`)
    return false
  }
  const restored = decoded.state.gallery?.length ?? 0
  const what = decoded.newer ? 'The last session was saved by a newer EqM Studio; what this version understands is restored' : `Part of the last session could not be read and was left out: ${listProblems(decoded.problems)}. Everything else is restored (${restored} result${restored === 1 ? '' : 's'})`
  notice('error', `${what}. The file as it was is kept at ${keptAt}.`)
  return true
}

/**
 * Restores the last session, then saves (debounced) after every user change, through the
 * engine host into the user-data folder (temporary file + rename there). Saving starts
 * only after the restore, so an empty start never overwrites a saved session.
 */
export async function restoreAndAutosave(store: StudioStore, client: EngineClient): Promise<() => void> {
  if (!(await restoreSession(store, client))) return () => {}

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
