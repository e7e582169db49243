import { z } from 'zod'
import { samplerSettingsSchema, settingNumber } from '../../../shared/manifest'
import { CPU_PRECISION, PROVIDER, REPAIR, type CpuPrecision, type ProviderChoiceName } from '../../../shared/settings'
import { BLOB_REF_PATTERN } from '../../../shared/engine-protocol'

/**
 * The autosaved session file's parts, each validated on its own so that one damaged part
 * (a result, the undo history) is dropped without taking the rest of the session with it.
 */
/** 2: results in the history journal, images in the user-data store; 1 (release 0.1.0): everything inline */
export const SESSION_VERSION = 2
const blobRef = z.string().regex(BLOB_REF_PATTERN, 'expected an image-store name')

/** Any number, NaN and ±Infinity included (they are written tagged: json-numbers.ts). */
const anyNumber = z.custom<number>((value) => typeof value === 'number', 'expected a number')

// releases before 0.2 called the brush opacity "strength" (a second meaning of the word)
export const strokeSchema = z.preprocess(
  (raw) => (raw && typeof raw === 'object' && !('opacity' in raw) && 'strength' in raw ? { ...raw, opacity: (raw as { strength: unknown }).strength } : raw),
  z.object({
    points: z.array(z.tuple([anyNumber, anyNumber])).max(100_000),
    size: anyNumber,
    opacity: anyNumber,
    softness: anyNumber,
    erase: z.boolean()
  })
)
export const photoSchema = z.object({
  name: z.string(),
  originalWidth: z.number().int(),
  originalHeight: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  channels: z.number().int().positive(),
  /** version 2: the image-store name of the model-space bytes; version 1: the bytes in base64 */
  bytes: z.string(),
  /** a latent model's photo at its own size (absent: model-sized) */
  fullSize: z.literal(true).optional()
})
export const documentSchema = z.object({ photo: photoSchema.nullable(), strokes: z.array(strokeSchema) })
export const historyEntrySchema = z.union([
  z.object({ kind: z.literal('stroke'), stroke: strokeSchema }),
  z.object({ kind: z.literal('replace'), label: z.enum(['import', 'accept', 'clear']), before: documentSchema, after: documentSchema })
])
const resultFields = {
  id: z.string(),
  kind: z.enum(['generate', 'repair']),
  width: anyNumber,
  height: anyNumber,
  title: z.string(),
  params: z.record(z.string(), z.unknown()),
  steps: anyNumber,
  // release 0.1.0 wrote an opened PNG's NaN as null: it meant "not measured"
  gradNorm: z.union([anyNumber, z.null().transform(() => Number.NaN)]),
  createdAt: anyNumber,
  stoppedEarly: z.boolean().optional()
}
/** a result in the history journal (version 2) */
export const galleryItemSchema = z.object({ ...resultFields, image: blobRef })
/** a result inline in a release-0.1.0 session, its PNG in base64 */
export const legacyGalleryItemSchema = z.object({ ...resultFields, png: z.string() })
export type LegacyGalleryItem = z.infer<typeof legacyGalleryItemSchema>
export const composeSchema = z.object({
  modelId: z.string().nullable(),
  rows: z.array(z.object({ classIndex: z.number().int().min(0), weight: anyNumber })).max(16),
  count: z.number().int().min(1),
  seed: z.number().int().min(0),
  lockSeed: z.boolean(),
  sampler: samplerSettingsSchema
})
export const generateSchema = z.object({ classIndex: z.number().int().min(0), count: z.number().int().min(1), seed: z.number().int().min(0), lockSeed: z.boolean(), sampler: samplerSettingsSchema })
export const repairSettingsSchema = z.object({
  strength: settingNumber(REPAIR.strength).default(REPAIR.strength.default),
  holdUnmasked: z.boolean(),
  classIndex: z.number().int().nullable(),
  seed: z.number().int(),
  lockSeed: z.boolean(),
  // releases before 0.2 repaired with Generate's sampler: their sessions keep it
  sampler: samplerSettingsSchema.optional()
})
export const toolSchema = z.enum(['generate', 'compose', 'repair', 'ood'])
export const providerPreferenceSchema = z.enum(PROVIDER.choices.map((c) => c.value) as [ProviderChoiceName, ...ProviderChoiceName[]])
/** null: the user has not picked one (the engine's own applies) */
export const cpuPrecisionPreferenceSchema = z.enum(CPU_PRECISION.choices.map((c) => c.value) as [CpuPrecision, ...CpuPrecision[]]).nullable()

export type DocumentData = z.infer<typeof documentSchema>
export type HistoryEntryData = z.input<typeof historyEntrySchema>

/** What encodeSession writes (before json-numbers tags its non-finite numbers). */
export interface SessionData {
  version: number
  tool: z.infer<typeof toolSchema>
  modelId: string | null
  providerPreference: z.infer<typeof providerPreferenceSchema>
  cpuPrecisionPreference: z.infer<typeof cpuPrecisionPreferenceSchema>
  generate: z.infer<typeof generateSchema>
  canvasImageIds: string[]
  compose?: z.infer<typeof composeSchema>
  repair: { document: DocumentData; undo: HistoryEntryData[]; redo: HistoryEntryData[]; settings: z.input<typeof repairSettingsSchema> }
}

/** "gradNorm: expected a number" from a zod error: the first issue, where and what. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid'
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message
}
