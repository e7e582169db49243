import { z } from 'zod'
import { samplerSettingsSchema, settingNumber, type OrientationCopy } from './manifest'
import { COMPOSE, JOB, REPAIR } from './settings'
import type { ResultParams } from './result-params'

/** A job id is chosen by the client so it can cancel before the job's first reply. */
export const jobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64')

export const conditionSchema = z.object({
  classIndex: z.number().int().min(0),
  weight: settingNumber(COMPOSE.weight)
})
export type Condition = z.infer<typeof conditionSchema>

const jobCommon = {
  jobId: jobIdSchema,
  modelId: z.string().optional(),
  seed: settingNumber(JOB.seed),
  sampler: samplerSettingsSchema.partial().optional(),
  /** Send a preview frame every k steps (0 = no previews). */
  previewEvery: settingNumber(JOB.previewEvery).default(JOB.previewEvery.default)
}

/** One condition is plain class-conditional generation; several compose (energies add); none is unconditional. */
export const generateParamsSchema = z.object({
  ...jobCommon,
  conditions: z.array(conditionSchema).max(COMPOSE.maxClasses.max),
  count: settingNumber(JOB.count)
})
export type GenerateParams = z.input<typeof generateParamsSchema>

/** An 8-bit image in the model's space (C x H x W planar, C = model channels). */
export const modelImageSchema = z.object({
  width: z.number().int().min(1).max(1024),
  height: z.number().int().min(1).max(1024),
  channels: z.number().int().min(1).max(4),
  /** base64 of width*height*channels bytes, channel-planar */
  data: z.string()
})
export type ModelImage = z.infer<typeof modelImageSchema>

export const classifyParamsSchema = z.object({
  modelId: z.string().optional(),
  image: modelImageSchema
})
export type ClassifyParams = z.input<typeof classifyParamsSchema>
export interface ClassifyResult {
  /** the most probable class and its probability */
  classIndex: number
  probability: number
  /** one per named class */
  probabilities: number[]
}

export const repairParamsSchema = z.object({
  ...jobCommon,
  image: modelImageSchema,
  /** One channel, 0 = keep, 255 = fully noised and free to move. */
  mask: modelImageSchema,
  strength: settingNumber(REPAIR.strength),
  holdUnmasked: z.boolean().default(true),
  conditions: z.array(conditionSchema).max(COMPOSE.maxClasses.max).default([]),
  count: settingNumber(JOB.repairCount).default(JOB.repairCount.default)
})
export type RepairParams = z.input<typeof repairParamsSchema>

export const oodParamsSchema = z.object({
  modelId: z.string().optional(),
  images: z.array(z.object({ name: z.string().max(512), image: modelImageSchema })).min(1).max(1024)
})
export type OodParams = z.input<typeof oodParamsSchema>

/** What a finished job returns: everything needed to reproduce each image. */
export interface ResultImage {
  /** base64 PNG, full model resolution */
  png: string
  width: number
  height: number
  /** seed of this image alone: rerunning with count 1 and this seed reproduces it */
  seed: number
  steps: number
  gradNorm: number
  /** 'stopped-early': the user stopped the job and kept this sample as it was */
  stopped: 'threshold' | 'max-steps' | 'stopped-early'
}

export interface JobResult {
  jobId: string
  kind: 'generate' | 'repair'
  modelId: string
  images: ResultImage[]
  /** the exact, fully resolved parameters, as written into exported PNGs */
  params: ResultParams
  evaluations: number
  elapsedMs: number
}

export interface OodResult {
  name: string
  score: number
  /** null when the model has no calibration */
  flagged: boolean | null
  /** share of in-distribution calibration scores below this one, 0..1 (null without calibration) */
  percentile: number | null
  /** the class the image was measured against, found by the model's own field (score mahalanobis-align-pair-class only;
   *  absent where that class had too few calibration images for a mean of its own) */
  comparedWithClass?: number
  /** where the orientation check raised the score (score mahalanobis-align-pair-class-orient): the copy of the
   *  image that looked more typical than the image itself, and the factor the score was multiplied by (> 1) */
  orientation?: { copy: OrientationCopy; raisedBy: number }
  /** where the contrast check raised the score (score mahalanobis-align-pair-class-orient-stretch): the image
   *  stretched to the model's full value range looked more typical than the image itself, and the factor (> 1) */
  contrast?: { raisedBy: number }
  /** where the centring check raised the score (score mahalanobis-align-pair-class-orient-stretch-centre): the image
   *  moved so its content sits mid-frame looked more typical than the image itself, and the factor (> 1) */
  centring?: { raisedBy: number }
}

export type { OrientationCopy }
/** How the studio and the CLI name each copy: what was done to the image to get it. */
export const ORIENTATION_COPY_WORDS: Record<OrientationCopy, string> = {
  hflip: 'flipped left to right',
  vflip: 'flipped top to bottom',
  rot90: 'turned a quarter to the left',
  rot180: 'turned half round',
  rot270: 'turned a quarter to the right'
}
/** How the studio and the CLI name the contrast check's copy. */
export const CONTRAST_COPY_WORDS = 'stretched to full contrast'
/** How the studio and the CLI name the centring check's copy. */
export const CENTRING_COPY_WORDS = 'moved to the centre'
/** One copy check that raised a score, as the studio and the CLI name it: which check, the copy's words, the factor. */
export interface CopyCheckNote {
  check: 'orientation' | 'contrast' | 'centring'
  words: string
  raisedBy: number
}

/** The copy checks that raised a result's score, in the order the studio and the CLI list them. */
export function copyCheckNotes(result: Pick<OodResult, 'orientation' | 'contrast' | 'centring'>): CopyCheckNote[] {
  const notes: CopyCheckNote[] = []
  if (result.orientation) notes.push({ check: 'orientation', words: ORIENTATION_COPY_WORDS[result.orientation.copy], raisedBy: result.orientation.raisedBy })
  if (result.contrast) notes.push({ check: 'contrast', words: CONTRAST_COPY_WORDS, raisedBy: result.contrast.raisedBy })
  if (result.centring) notes.push({ check: 'centring', words: CENTRING_COPY_WORDS, raisedBy: result.centring.raisedBy })
  return notes
}

/** A copy check's factor, as the studio and the CLI print it: 2 significant digits ("3.4", "25", "1.2k"). */
export function formatFactor(factor: number): string {
  return factor >= 1000 ? `${(factor / 1000).toPrecision(2)}k` : String(Number(factor.toPrecision(2)))
}
