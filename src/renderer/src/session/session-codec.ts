import type { z } from 'zod'
import { base64ToBytes } from '../../../shared/base64'
import { BLOB_REF_PATTERN, type HistoryEntryRecord } from '../../../shared/engine-protocol'
import type { GalleryItem, StudioState } from '../store/studio-store'
import type { HistoryEntry, RepairDocument, RepairPhoto } from '../repair/repair-history'
import { nextRowKey, type ComposeState } from '../compose/compose-store'
import { PROVIDER } from '../../../shared/settings'
import { fromJsonSafe, toJsonSafe } from './json-numbers'
import {
  SESSION_VERSION,
  composeSchema,
  documentSchema,
  firstIssue,
  galleryItemSchema,
  generateSchema,
  historyEntrySchema,
  legacyGalleryItemSchema,
  providerPreferenceSchema,
  cpuPrecisionPreferenceSchema,
  repairSettingsSchema,
  toolSchema,
  type DocumentData,
  type HistoryEntryData,
  type LegacyGalleryItem,
  type SessionData
} from './session-schema'

/**
 * The autosaved session: what the user made and chose, never transient state (jobs,
 * previews, notices). session.json holds settings and the repair document (photos by their
 * image-store name); the results live in the history journal, one entry each. Each part is
 * validated on its own on the way back in: a damaged part is dropped and named, the rest
 * restored (the caller keeps the files aside before they can be overwritten).
 */
export { SESSION_VERSION }
export const HISTORY_KEPT = 50

type PhotoRef = (bytes: Uint8Array) => string
type PhotoBytes = (stored: string) => Uint8Array

function encodeDocument(document: RepairDocument, photoRef: PhotoRef): DocumentData {
  if (!document.photo) return { photo: null, strokes: document.strokes }
  // the imported file's bytes stay out of the session: a restored full-size photo goes to the engine as PNG of its pixels
  const { file: _file, ...photo } = document.photo
  return { photo: { ...photo, bytes: photoRef(photo.bytes) }, strokes: document.strokes }
}
function decodeDocument(data: DocumentData, photoBytes: PhotoBytes): RepairDocument {
  const photo: RepairPhoto | null = data.photo ? { ...data.photo, bytes: photoBytes(data.photo.bytes) } : null
  return { photo, strokes: data.strokes }
}
function encodeEntry(entry: HistoryEntry, photoRef: PhotoRef): HistoryEntryData {
  return entry.kind === 'stroke' ? entry : { ...entry, before: encodeDocument(entry.before, photoRef), after: encodeDocument(entry.after, photoRef) }
}
function decodeEntry(entry: z.infer<typeof historyEntrySchema>, photoBytes: PhotoBytes): HistoryEntry {
  return entry.kind === 'stroke' ? entry : { ...entry, before: decodeDocument(entry.before, photoBytes), after: decodeDocument(entry.after, photoBytes) }
}

/** The repair undo history the session keeps (the newest HISTORY_KEPT steps each way). */
function keptHistory(state: StudioState) {
  const { history } = state.repair
  return { document: history.document, undo: history.undo.slice(-HISTORY_KEPT), redo: history.redo.slice(-HISTORY_KEPT) }
}

/** Every distinct photo the saved session refers to: they go to the image store before a save. */
export function sessionPhotos(state: StudioState): Uint8Array[] {
  const { document, undo, redo } = keptHistory(state)
  const photos = new Set<Uint8Array>()
  const add = (d: RepairDocument) => d.photo && photos.add(d.photo.bytes)
  add(document)
  for (const entry of [...undo, ...redo]) if (entry.kind === 'replace') (add(entry.before), add(entry.after))
  return [...photos]
}

export function sessionData(state: StudioState, compose: ComposeState | undefined, photoRef: PhotoRef): SessionData {
  const { document, undo, redo } = keptHistory(state)
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
    cpuPrecisionPreference: state.cpuPrecisionPreference,
    generate: state.generate,
    canvasImageIds: state.canvasImages.map((i) => i.id),
    repair: {
      document: encodeDocument(document, photoRef),
      undo: undo.map((e) => encodeEntry(e, photoRef)),
      redo: redo.map((e) => encodeEntry(e, photoRef)),
      settings: state.repair.settings
    }
  }
}

/** The session as JSON keeps it exactly (NaN and Infinity included). */
export function encodeSession(state: StudioState, compose: ComposeState | undefined = state.compose, photoRef: PhotoRef = unstored): unknown {
  return toJsonSafe(sessionData(state, compose, photoRef))
}

/** The default for a state without photos: a photo must be in the image store before it is saved. */
function unstored(): string {
  throw new Error('encodeSession: a photo must be put in the image store first (sessionPhotos)')
}

/** One result as its history-journal entry. */
export function encodeHistoryEntry(item: GalleryItem): HistoryEntryRecord {
  return toJsonSafe(item) as HistoryEntryRecord
}

/** The image-store names a saved session's repair document and history refer to (to fetch before decoding). */
export function storedPhotoRefs(raw: unknown): string[] {
  const refs = new Set<string>()
  const walk = (value: unknown) => {
    if (typeof value === 'string') {
      if (BLOB_REF_PATTERN.test(value)) refs.add(value)
    } else if (Array.isArray(value)) value.forEach(walk)
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk)
  }
  walk((raw as { repair?: unknown } | null)?.repair)
  return [...refs]
}

export interface DecodedSession {
  state: Partial<StudioState>
  compose?: Partial<ComposeState>
  /** results of a release-0.1.0 session, PNGs inline: to move into the image store */
  legacyGallery: LegacyGalleryItem[] | null
  /** ids shown on the canvas (for the migrated results) */
  canvasImageIds: string[]
  /** what could not be read and was left out; empty when everything was restored */
  problems: string[]
  /** the file was written by a newer release (read as far as this one understands it) */
  newer: boolean
}

export interface SavedParts {
  /** session.json's data */
  session: unknown
  /** the history journal's live entries, oldest first */
  history: readonly unknown[]
  /** a stored photo's bytes by its name; undefined when the store does not have it */
  photo(ref: string): Uint8Array | undefined
}

/** Every part of a saved session that can be read; the parts that cannot are named in problems. */
export function decodeSession(saved: SavedParts, base: StudioState): DecodedSession {
  const problems: string[] = []
  const part = <S extends z.ZodType, T = z.output<S>>(schema: S, value: unknown, label: string, convert?: (parsed: z.output<S>) => T): T | undefined => {
    const parsed = schema.safeParse(value)
    if (!parsed.success) {
      problems.push(`${label} (${firstIssue(parsed.error)})`)
      return undefined
    }
    try {
      return convert ? convert(parsed.data) : (parsed.data as T)
    } catch (error) {
      problems.push(`${label} (${(error as Error).message})`)
      return undefined
    }
  }
  const state: Partial<StudioState> = {}
  const results = (items: readonly unknown[]) => {
    const kept: GalleryItem[] = []
    items.forEach((item, i) => {
      const title = (item as { title?: unknown } | null)?.title
      const parsed = part(galleryItemSchema, fromJsonSafe(item), `result ${i + 1} of ${items.length}${typeof title === 'string' ? ` "${title}"` : ''}`)
      if (parsed) kept.push(parsed)
    })
    // newest first: the journal is oldest first, and a result added back by an undo returns to its place
    return kept.reverse().sort((a, b) => b.createdAt - a.createdAt)
  }
  const data = fromJsonSafe(saved.session ?? {})
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    state.gallery = results(saved.history)
    return { state, legacyGallery: null, canvasImageIds: [], problems: ['the session file holds no session (not an object)', ...problems], newer: false }
  }
  const record = data as Record<string, unknown>
  const version = saved.session === null ? SESSION_VERSION : record.version
  if (typeof version !== 'number') problems.push('the version is missing')
  const newer = typeof version === 'number' && version > SESSION_VERSION
  const legacy = version === 1

  const tool = part(toolSchema, record.tool ?? base.tool, 'the open tool')
  if (tool) state.tool = tool
  if (record.modelId === null || typeof record.modelId === 'string') state.modelId = record.modelId
  else if (record.modelId !== undefined) problems.push('the model')
  const provider = part(providerPreferenceSchema.default(PROVIDER.default), record.providerPreference, 'the execution provider')
  if (provider) state.providerPreference = provider
  // sessions from before the CPU precision field have none: the engine's own applies
  const precision = part(cpuPrecisionPreferenceSchema.default(null), record.cpuPrecisionPreference, 'the CPU precision')
  if (precision !== undefined) state.cpuPrecisionPreference = precision
  if (record.generate !== undefined) {
    const generate = part(generateSchema, record.generate, "Generate's settings")
    if (generate) state.generate = generate
  }

  let legacyGallery: LegacyGalleryItem[] | null = null
  if (legacy) {
    legacyGallery = []
    const items: unknown[] = Array.isArray(record.gallery) ? record.gallery : (problems.push('the results (not a list)'), [])
    items.forEach((item, i) => {
      const title = (item as { title?: unknown } | null)?.title
      const parsed = part(legacyGalleryItemSchema, item, `result ${i + 1} of ${items.length}${typeof title === 'string' ? ` "${title}"` : ''}`)
      if (parsed) legacyGallery!.push(parsed)
    })
  } else state.gallery = results(saved.history)
  const canvasImageIds = Array.isArray(record.canvasImageIds) ? record.canvasImageIds.filter((id): id is string => typeof id === 'string') : []
  if (state.gallery) state.canvasImages = state.gallery.filter((item) => canvasImageIds.includes(item.id))

  const photoBytes: PhotoBytes = legacy
    ? base64ToBytes
    : (ref) => {
        const bytes = saved.photo(ref)
        if (!bytes) throw new Error(`its photo ${ref.slice(0, 12)}… is missing from the image store`)
        return bytes
      }
  if (record.repair !== undefined) {
    const repair = (typeof record.repair === 'object' && record.repair !== null ? record.repair : {}) as Record<string, unknown>
    const document = part(documentSchema, repair.document, "Repair's photo and strokes", (d) => decodeDocument(d, photoBytes))
    const settings = part(repairSettingsSchema, repair.settings, "Repair's settings")
    // history entries replay against the document: keep both lists whole or drop them together
    const entries = historyEntrySchema.array()
    const undo = document ? part(entries, repair.undo, "Repair's undo history", (list) => list.map((e) => decodeEntry(e, photoBytes))) : undefined
    const redo = undo ? part(entries, repair.redo, "Repair's redo history", (list) => list.map((e) => decodeEntry(e, photoBytes))) : undefined
    if (document || settings) {
      const history = document ? { document, undo: undo && redo ? undo : [], redo: undo && redo ? redo : [] } : base.repair.history
      // a session from before Repair had its own sampler repaired with Generate's
      const sampler = settings?.sampler ?? state.generate?.sampler ?? base.repair.settings.sampler
      state.repair = { ...base.repair, settings: settings ? { ...settings, sampler } : base.repair.settings, history }
    }
  }

  let compose: Partial<ComposeState> | undefined
  if (record.compose !== undefined) {
    const parsed = part(composeSchema, record.compose, "Compose's classes and settings")
    if (parsed) compose = { ...parsed, rows: parsed.rows.map((row) => ({ ...row, key: nextRowKey() })) }
  }
  return { state, compose, legacyGallery, canvasImageIds, problems, newer }
}
