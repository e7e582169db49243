import type { Stroke } from './mask'

/**
 * The repair tool's document: the working photo (model space) and the strokes painted on it.
 * History records only user changes (strokes, imports, accepted repairs), tldraw-style;
 * live previews never enter it.
 */
export interface RepairPhoto {
  name: string
  /** size of the imported picture before conversion */
  originalWidth: number
  originalHeight: number
  width: number
  height: number
  channels: number
  /** model-space bytes, channel-planar (full size: RGB at the photo's own size) */
  bytes: Uint8Array
  /** imported at its own resolution for a latent model (EXIF orientation applied); the engine repairs a context square */
  fullSize?: true
  /** the imported file's bytes while the working photo is still that file (the engine decodes it itself); dropped on accept */
  file?: Uint8Array
}

export interface RepairDocument {
  photo: RepairPhoto | null
  strokes: Stroke[]
}

export type HistoryEntry =
  | { kind: 'stroke'; stroke: Stroke }
  | { kind: 'replace'; label: 'import' | 'accept' | 'clear'; before: RepairDocument; after: RepairDocument }

export interface RepairHistory {
  document: RepairDocument
  undo: HistoryEntry[]
  redo: HistoryEntry[]
}

export const EMPTY_HISTORY: RepairHistory = { document: { photo: null, strokes: [] }, undo: [], redo: [] }
const LIMIT = 200

function push(history: RepairHistory, entry: HistoryEntry, document: RepairDocument): RepairHistory {
  return { document, undo: [...history.undo, entry].slice(-LIMIT), redo: [] }
}

export function addStroke(history: RepairHistory, stroke: Stroke): RepairHistory {
  return push(history, { kind: 'stroke', stroke }, { ...history.document, strokes: [...history.document.strokes, stroke] })
}

export function replaceDocument(history: RepairHistory, label: 'import' | 'accept' | 'clear', after: RepairDocument): RepairHistory {
  return push(history, { kind: 'replace', label, before: history.document, after }, after)
}

export function undo(history: RepairHistory): RepairHistory {
  const entry = history.undo[history.undo.length - 1]
  if (!entry) return history
  const document = entry.kind === 'stroke' ? { ...history.document, strokes: history.document.strokes.slice(0, -1) } : entry.before
  return { document, undo: history.undo.slice(0, -1), redo: [...history.redo, entry] }
}

export function redo(history: RepairHistory): RepairHistory {
  const entry = history.redo[history.redo.length - 1]
  if (!entry) return history
  const document = entry.kind === 'stroke' ? { ...history.document, strokes: [...history.document.strokes, entry.stroke] } : entry.after
  return { document, undo: [...history.undo, entry], redo: history.redo.slice(0, -1) }
}
