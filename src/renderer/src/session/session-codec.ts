import { z } from 'zod'
import { samplerSettingsSchema, settingNumber } from '../../../shared/manifest'
import { PROVIDER, REPAIR, type ProviderChoiceName } from '../../../shared/settings'
import { base64ToBytes, bytesToBase64 } from '../../../shared/base64'
import type { StudioState } from '../store/studio-store'
import type { HistoryEntry, RepairDocument, RepairPhoto } from '../repair/repair-history'
import { nextRowKey, type ComposeState } from '../compose/compose-store'

/**
 * The autosaved session: what the user made and chose (gallery, settings, the repair
 * document and its history), never transient state (jobs, previews, notices). Versioned
 * and validated on the way back in, so a damaged file is refused, not half-applied.
 */
export const SESSION_VERSION = 1
const HISTORY_KEPT = 50

// releases before 0.2 called the brush opacity "strength" (a second meaning of the word)
const strokeSchema = z.preprocess(
  (raw) => (raw && typeof raw === 'object' && !('opacity' in raw) && 'strength' in raw ? { ...raw, opacity: (raw as { strength: unknown }).strength } : raw),
  z.object({
    points: z.array(z.tuple([z.number(), z.number()])).max(100_000),
    size: z.number(),
    opacity: z.number(),
    softness: z.number(),
    erase: z.boolean()
  })
)
const photoSchema = z.object({
  name: z.string(),
  originalWidth: z.number().int(),
  originalHeight: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  channels: z.number().int().positive(),
  bytes: z.string()
})
const documentSchema = z.object({ photo: photoSchema.nullable(), strokes: z.array(strokeSchema) })
const historyEntrySchema = z.union([
  z.object({ kind: z.literal('stroke'), stroke: strokeSchema }),
  z.object({ kind: z.literal('replace'), label: z.enum(['import', 'accept', 'clear']), before: documentSchema, after: documentSchema })
])
const galleryItemSchema = z.object({
  id: z.string(),
  kind: z.enum(['generate', 'repair']),
  png: z.string(),
  width: z.number(),
  height: z.number(),
  title: z.string(),
  params: z.record(z.string(), z.unknown()),
  steps: z.number(),
  gradNorm: z.number(),
  createdAt: z.number()
})
const composeSchema = z.object({
  modelId: z.string().nullable(),
  rows: z.array(z.object({ classIndex: z.number().int().min(0), weight: z.number() })).max(16),
  count: z.number().int().min(1),
  seed: z.number().int().min(0),
  lockSeed: z.boolean(),
  sampler: samplerSettingsSchema
})

export const sessionSchema = z.object({
  version: z.literal(SESSION_VERSION),
  tool: z.enum(['generate', 'compose', 'repair', 'ood']),
  modelId: z.string().nullable(),
  providerPreference: z.enum(PROVIDER.choices.map((c) => c.value) as [ProviderChoiceName, ...ProviderChoiceName[]]).default(PROVIDER.default),
  generate: z.object({ classIndex: z.number().int().min(0), count: z.number().int().min(1), seed: z.number().int().min(0), lockSeed: z.boolean(), sampler: samplerSettingsSchema }),
  gallery: z.array(galleryItemSchema).max(1000),
  canvasImageIds: z.array(z.string()),
  compose: composeSchema.optional(),
  repair: z.object({
    document: documentSchema,
    undo: z.array(historyEntrySchema),
    redo: z.array(historyEntrySchema),
    settings: z.object({
      strength: settingNumber(REPAIR.strength).default(REPAIR.strength.default),
      holdUnmasked: z.boolean(),
      classIndex: z.number().int().nullable(),
      seed: z.number().int(),
      lockSeed: z.boolean(),
      // releases before 0.2 repaired with Generate's sampler: their sessions keep it
      sampler: samplerSettingsSchema.optional()
    })
  })
})
export type SessionData = z.infer<typeof sessionSchema>
type DocumentData = z.infer<typeof documentSchema>

function encodeDocument(document: RepairDocument): DocumentData {
  return { photo: document.photo ? { ...document.photo, bytes: bytesToBase64(document.photo.bytes) } : null, strokes: document.strokes }
}
function decodeDocument(data: DocumentData): RepairDocument {
  const photo: RepairPhoto | null = data.photo ? { ...data.photo, bytes: base64ToBytes(data.photo.bytes) } : null
  return { photo, strokes: data.strokes }
}
function encodeEntry(entry: HistoryEntry): z.infer<typeof historyEntrySchema> {
  return entry.kind === 'stroke' ? entry : { ...entry, before: encodeDocument(entry.before), after: encodeDocument(entry.after) }
}
function decodeEntry(entry: z.infer<typeof historyEntrySchema>): HistoryEntry {
  return entry.kind === 'stroke' ? entry : { ...entry, before: decodeDocument(entry.before), after: decodeDocument(entry.after) }
}

export function encodeSession(state: StudioState, compose?: ComposeState): SessionData {
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

/** The state to restore, or an error saying why the saved session cannot be used. */
export function decodeSession(raw: unknown, base: StudioState): { state: Partial<StudioState>; compose?: Partial<ComposeState> } | { error: string } {
  const parsed = sessionSchema.safeParse(raw)
  if (!parsed.success) return { error: `the saved session is not readable (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})` }
  const data = parsed.data
  const gallery = data.gallery
  return {
    compose: data.compose && { ...data.compose, rows: data.compose.rows.map((row) => ({ ...row, key: nextRowKey() })) },
    state: {
      tool: data.tool,
      modelId: data.modelId,
      providerPreference: data.providerPreference,
      generate: data.generate,
      gallery,
      canvasImages: gallery.filter((item) => data.canvasImageIds.includes(item.id)),
      repair: {
        ...base.repair,
        settings: { ...data.repair.settings, sampler: data.repair.settings.sampler ?? data.generate.sampler },
        history: { document: decodeDocument(data.repair.document), undo: data.repair.undo.map(decodeEntry), redo: data.repair.redo.map(decodeEntry) }
      }
    }
  }
}
