import type { z } from 'zod'
import { base64ToBytes, bytesToBase64 } from '../../../shared/base64'
import type { GalleryItem, StudioState } from '../store/studio-store'
import type { HistoryEntry, RepairDocument, RepairPhoto } from '../repair/repair-history'
import { nextRowKey, type ComposeState } from '../compose/compose-store'
import { fromJsonSafe, toJsonSafe } from './json-numbers'
import {
  SESSION_VERSION,
  composeSchema,
  documentSchema,
  firstIssue,
  galleryItemSchema,
  generateSchema,
  historyEntrySchema,
  providerPreferenceSchema,
  repairSettingsSchema,
  toolSchema,
  type DocumentData,
  type HistoryEntryData,
  type SessionData
} from './session-schema'

/**
 * The autosaved session: what the user made and chose (gallery, settings, the repair
 * document and its history), never transient state (jobs, previews, notices). Each part is
 * validated on its own on the way back in: a damaged part is dropped and named, the rest
 * restored (the caller keeps the file aside before it can be overwritten).
 */
export { SESSION_VERSION }
export const HISTORY_KEPT = 50

function encodeDocument(document: RepairDocument): DocumentData {
  return { photo: document.photo ? { ...document.photo, bytes: bytesToBase64(document.photo.bytes) } : null, strokes: document.strokes }
}
function decodeDocument(data: DocumentData): RepairDocument {
  const photo: RepairPhoto | null = data.photo ? { ...data.photo, bytes: base64ToBytes(data.photo.bytes) } : null
  return { photo, strokes: data.strokes }
}
function encodeEntry(entry: HistoryEntry): HistoryEntryData {
  return entry.kind === 'stroke' ? entry : { ...entry, before: encodeDocument(entry.before), after: encodeDocument(entry.after) }
}
function decodeEntry(entry: z.infer<typeof historyEntrySchema>): HistoryEntry {
  return entry.kind === 'stroke' ? entry : { ...entry, before: decodeDocument(entry.before), after: decodeDocument(entry.after) }
}

export function sessionData(state: StudioState, compose?: ComposeState): SessionData {
  const { history, settings } = state.repair
  return {
    compose: compose && {
      modelId: compose.modelId,
      rows: compose.rows.map(({ classIndex, weight }) => ({ classIndex, weight })),
      count: compose.count,
      seed: compose.seed,
      lockSeed: compose.lockSeed,
      sampler: compose.sampler
    },
    version: SESSION_VERSION,
    tool: state.tool,
    modelId: state.modelId,
    providerPreference: state.providerPreference,
    generate: state.generate,
    gallery: state.gallery,
    canvasImageIds: state.canvasImages.map((i) => i.id),
    repair: {
      document: encodeDocument(history.document),
      undo: history.undo.slice(-HISTORY_KEPT).map(encodeEntry),
      redo: history.redo.slice(-HISTORY_KEPT).map(encodeEntry),
      settings
    }
  }
}

/** The session as JSON keeps it exactly (NaN and Infinity included). */
export function encodeSession(state: StudioState, compose?: ComposeState): unknown {
  return toJsonSafe(sessionData(state, compose))
}

export interface DecodedSession {
  state: Partial<StudioState>
  compose?: Partial<ComposeState>
  /** what could not be read and was left out; empty when everything was restored */
  problems: string[]
  /** the file was written by a newer release (read as far as this one understands it) */
  newer: boolean
}

/** Every part of a saved session that can be read; the parts that cannot are named in problems. */
export function decodeSession(raw: unknown, base: StudioState): DecodedSession {
  const problems: string[] = []
  const data = fromJsonSafe(raw)
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { state: {}, problems: ['the file holds no session (not an object)'], newer: false }
  }
  const record = data as Record<string, unknown>
  const part = <S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> | undefined => {
    const parsed = schema.safeParse(value)
    if (parsed.success) return parsed.data
    problems.push(`${label} (${firstIssue(parsed.error)})`)
    return undefined
  }
  const version = record.version
  if (typeof version !== 'number') problems.push('the version is missing')
  const newer = typeof version === 'number' && version > SESSION_VERSION

  const state: Partial<StudioState> = {}
  const tool = part(toolSchema, record.tool, 'the open tool')
  if (tool) state.tool = tool
  if (record.modelId === null || typeof record.modelId === 'string') state.modelId = record.modelId
  else problems.push('the model')
  const provider = part(providerPreferenceSchema.default('auto'), record.providerPreference, 'the execution provider')
  if (provider) state.providerPreference = provider
  const generate = part(generateSchema, record.generate, "Generate's settings")
  if (generate) state.generate = generate

  const gallery: GalleryItem[] = []
  const items: unknown[] = Array.isArray(record.gallery) ? record.gallery : (problems.push('the results (not a list)'), [])
  items.forEach((item, i) => {
    const title = (item as { title?: unknown } | null)?.title
    const parsed = part(galleryItemSchema, item, `result ${i + 1} of ${items.length}${typeof title === 'string' ? ` "${title}"` : ''}`)
    if (parsed) gallery.push(parsed)
  })
  state.gallery = gallery
  const shown = Array.isArray(record.canvasImageIds) ? record.canvasImageIds : []
  state.canvasImages = gallery.filter((item) => shown.includes(item.id))

  const repair = (typeof record.repair === 'object' && record.repair !== null ? record.repair : {}) as Record<string, unknown>
  const document = part(documentSchema, repair.document, "Repair's photo and strokes")
  const settings = part(repairSettingsSchema, repair.settings, "Repair's settings")
  // history entries replay against the document: keep both lists whole or drop them together
  const undo = document ? part(historyEntrySchema.array(), repair.undo, "Repair's undo history") : undefined
  const redo = undo ? part(historyEntrySchema.array(), repair.redo, "Repair's redo history") : undefined
  if (document || settings) {
    const history = document
      ? { document: decodeDocument(document), undo: undo && redo ? undo.map(decodeEntry) : [], redo: undo && redo ? redo.map(decodeEntry) : [] }
      : base.repair.history
    state.repair = { ...base.repair, settings: settings ?? base.repair.settings, history }
  }

  let compose: Partial<ComposeState> | undefined
  if (record.compose !== undefined) {
    const parsed = part(composeSchema, record.compose, "Compose's classes and settings")
    if (parsed) compose = { ...parsed, rows: parsed.rows.map((row) => ({ ...row, key: nextRowKey() })) }
  }
  return { state, compose, problems, newer }
}
