import { base64ToBytes } from '../../../shared/base64'
import type { EngineClient } from '../host/engine-client'
import type { GalleryItem, StudioStore } from '../store/studio-store'
import { decodeSession, encodeHistoryEntry, storedPhotoRefs, type DecodedSession } from './session-codec'

/** PNGs moved into the image store per engine call while migrating a release-0.1.0 session. */
const MIGRATE_BATCH = 100

export interface Restored {
  /** the results as they are in the history journal now (the autosave diffs against them) */
  saved: readonly GalleryItem[]
  /** why this view may not save; null when it is the writer */
  readOnly: string | null
  /** saving must stay off: a file read only in part could not be copied aside */
  blocked: boolean
  /** a release-0.1.0 session was moved into the store: save the new session.json at once */
  migrated: boolean
}

function listProblems(problems: string[]): string {
  const shown = problems.slice(0, 3).join('; ')
  return problems.length > 3 ? `${shown}; and ${problems.length - 3} more` : shown
}

/**
 * Restores the last session: everything readable comes back. Files that could not be read
 * whole are first copied aside by the engine (the notice gives the paths), so the autosave
 * that follows never overwrites the only copy. A release-0.1.0 session (PNGs inline) moves
 * into the image store and the history journal; its file is kept as it was.
 */
export async function restoreSession(store: StudioStore, client: EngineClient): Promise<Restored> {
  const notice = (kind: 'error' | 'info', text: string) => store.setState({ notice: { kind, text } })
  let loaded
  try {
    loaded = await client.call('session.load', {})
  } catch (error) {
    notice('error', `Could not read the last session: ${(error as Error).message}. Autosave is off for this run, so nothing saved is overwritten.`)
    return { saved: [], readOnly: null, blocked: true, migrated: false }
  }
  const { session, history, readOnly } = loaded
  if (readOnly) store.setState({ readOnly })
  const messages: string[] = []
  if (session && 'unreadable' in session) messages.push(`The last session could not be read (${session.unreadable}). It is kept, unchanged, at ${session.keptAt}.`)
  if (history.keptAt) messages.push(`Some history lines could not be read (${listProblems(history.problems)}); the history file as it was is kept at ${history.keptAt}.`)

  const snapshot = session && !('unreadable' in session) ? session.data : null
  const photos = new Map<string, Uint8Array>()
  await Promise.all(
    storedPhotoRefs(snapshot).map(async (ref) => {
      try {
        photos.set(ref, base64ToBytes((await client.call('store.get', { ref })).data))
      } catch {
        // named as a problem by decodeSession
      }
    })
  )
  const decoded = decodeSession({ session: snapshot, history: history.entries, photo: (ref) => photos.get(ref) }, store.getState())
  store.setState((s) => ({ ...decoded.state, compose: { ...s.compose, ...decoded.compose } }))
  let blocked = false
  if ((decoded.problems.length > 0 || decoded.newer || decoded.legacyGallery) && !readOnly) {
    try {
      const reason = decoded.newer ? 'newer' : decoded.problems.length > 0 ? 'partial' : 'migrated'
      const { keptAt } = await client.call('session.keepAside', { reason })
      if (decoded.newer) messages.push(`The last session was saved by a newer EqM Studio; what this version understands is restored. The files as they were are kept: ${keptAt.join(', ')}.`)
      else if (decoded.problems.length > 0) messages.push(`Part of the last session could not be read and was left out: ${listProblems(decoded.problems)}. Everything else is restored. The files as they were are kept: ${keptAt.join(', ')}.`)
    } catch (error) {
      messages.push(`Part of the last session could not be read (${listProblems(decoded.problems)}) and a copy could not be kept (${(error as Error).message}). Autosave is off for this run, so nothing saved is overwritten.`)
      blocked = true
    }
  }
  let saved = decoded.state.gallery ?? []
  let migrated = false
  if (decoded.legacyGallery && !blocked && !readOnly) {
    try {
      saved = await migrate(store, client, decoded)
      migrated = true
    } catch (error) {
      messages.push(`The results of the last session could not be moved into the image store (${(error as Error).message}); they are kept in the old session file. Autosave is off for this run.`)
      blocked = true
    }
  }
  if (messages.length > 0) notice('error', messages.join(' '))
  return { saved, readOnly, blocked, migrated }
}

/** Release 0.1.0 kept every PNG inline in session.json: each goes to the image store, each result to the journal. */
async function migrate(store: StudioStore, client: EngineClient, decoded: DecodedSession): Promise<GalleryItem[]> {
  const legacy = decoded.legacyGallery ?? []
  const gallery: GalleryItem[] = []
  for (let start = 0; start < legacy.length; start += MIGRATE_BATCH) {
    const batch = legacy.slice(start, start + MIGRATE_BATCH)
    const { refs } = await client.call('store.put', { blobs: batch.map((item) => ({ data: item.png, type: 'png' as const })) })
    batch.forEach(({ png: _png, ...item }, i) => gallery.push({ ...item, image: refs[i] }))
  }
  // the journal is oldest first
  await client.call('history.append', { ops: [...gallery].reverse().map((item) => ({ op: 'add' as const, entry: encodeHistoryEntry(item) })) })
  store.setState({ gallery, canvasImages: gallery.filter((item) => decoded.canvasImageIds.includes(item.id)) })
  return gallery
}
