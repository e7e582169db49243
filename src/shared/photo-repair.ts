import { z } from 'zod'
import { conditionSchema, jobIdSchema } from './jobs'
import { samplerSettingsSchema, settingNumber } from './manifest'
import { COMPOSE, JOB, REPAIR } from './settings'
import type { ResultParams } from './result-params'

/**
 * 'repair.photo': a latent model repairs a photo at its own size. The photo travels as its file's
 * bytes (decoded by the engine as the CLI does: EXIF orientation applied, 8-bit sRGB), the mask as
 * its painted bounding box only (one byte a pixel inside the box, 0 = keep), so a 24 MP photo is
 * its JPEG's size on the wire, not 96 MB of pixels. The result is the context square with the
 * repair blended in, to paste at its offset.
 */
/** most base64 characters of the photo file on the wire (64 MiB: a 48 MiB file) */
export const PHOTO_DATA_LIMIT = 64 * 1024 * 1024

export const photoRepairParamsSchema = z.object({
  jobId: jobIdSchema,
  modelId: z.string().optional(),
  seed: settingNumber(JOB.seed),
  sampler: samplerSettingsSchema.partial().optional(),
  previewEvery: settingNumber(JOB.previewEvery).default(JOB.previewEvery.default),
  /** base64 of the photo file (PNG, JPEG, WebP, TIFF), at most 64 MB of base64 */
  photo: z.object({ name: z.string().min(1).max(512), data: z.string().min(1).max(PHOTO_DATA_LIMIT) }),
  mask: z.object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().min(1), height: z.number().int().min(1), data: z.string().min(1) }),
  strength: settingNumber(REPAIR.strength),
  holdUnmasked: z.boolean().default(true),
  conditions: z.array(conditionSchema).max(COMPOSE.maxClasses.max).default([]),
  count: z.number().int().min(1).max(4).default(1),
  padding: z.number().int().min(0).max(4096).default(32),
  contextSize: z.number().int().min(0).max(16384).default(0),
  feather: z.number().int().min(0).max(256).default(8)
})
export type PhotoRepairWireParams = z.input<typeof photoRepairParamsSchema>

export interface PhotoRepairWireResult {
  jobId: string
  modelId: string
  /** the photo as decoded (EXIF orientation applied) */
  photoWidth: number
  photoHeight: number
  /** where the patches go in the photo */
  rect: { x: number; y: number; width: number; height: number }
  /** base64 PNG of the context square with the repair blended in, one per seed, each with its parameters chunk */
  patches: { png: string; seed: number; steps: number; gradNorm: number; stopped: 'threshold' | 'max-steps' | 'stopped-early' }[]
  params: ResultParams
  elapsedMs: number
}
