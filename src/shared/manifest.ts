import { z } from 'zod'

/** Sampler settings: the manifest's defaults, and what a job may override. */
export const samplerSettingsSchema = z.object({
  method: z.enum(['gd', 'nag']),
  stepSize: z.number().positive().max(10),
  mu: z.number().min(0).max(0.999),
  maxSteps: z.number().int().min(1).max(5000),
  /** Per-sample stop: RMS of the guided gradient (L2 norm / sqrt(element count)). 0 = never stop early. */
  stopGradNorm: z.number().min(0).max(100),
  cfg: z.number().min(0).max(20)
})
export type SamplerSettings = z.infer<typeof samplerSettingsSchema>

export const oodCalibrationSchema = z.object({
  /** Which score the engine computes; see src/engine/ood.ts. */
  score: z.string().min(1),
  /** Higher score = further from the training data. */
  quantiles: z.array(z.tuple([z.number().min(0).max(1), z.number()])).min(2),
  threshold: z.number(),
  /** True-positive rate on in-distribution data the threshold was set for (e.g. 0.95). */
  tpr: z.number().min(0).max(1),
  noiseLevels: z.array(z.number().min(0).max(1)).optional(),
  seeds: z.array(z.number().int().min(0)).optional(),
  /** Gaussian fit (mahalanobis score): mean and precision of log RMS over the noise levels */
  mean: z.array(z.number()).optional(),
  precision: z.array(z.array(z.number())).optional()
}).passthrough()
export type OodCalibration = z.infer<typeof oodCalibrationSchema>

/**
 * The studio's starting values for this model, chosen from its benchmarks
 * (training/REPAIR.md, training/COMPOSE.md). All optional: the fallbacks below apply.
 */
export const studioDefaultsSchema = z.object({
  repair: z.object({ strength: z.number().min(0.05).max(1), holdUnmasked: z.boolean() }).partial().optional(),
  compose: z.object({ weight: z.number().min(-5).max(5), cfg: z.number().min(0).max(20) }).partial().optional()
})
export interface StudioDefaults {
  repair: { strength: number; holdUnmasked: boolean }
  /** each class of a new composition gets `weight`; the composition samples with guidance `cfg` */
  compose: { weight: number; cfg: number }
}

export function resolveStudioDefaults(studio: z.infer<typeof studioDefaultsSchema> | undefined, sampler: SamplerSettings): StudioDefaults {
  return {
    repair: { strength: studio?.repair?.strength ?? 0.5, holdUnmasked: studio?.repair?.holdUnmasked ?? true },
    compose: { weight: studio?.compose?.weight ?? 1, cfg: studio?.compose?.cfg ?? sampler.cfg }
  }
}

const fileName = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9._-]+$/, 'a plain file name inside the model folder')

export const modelManifestSchema = z
  .object({
    schemaVersion: z.literal(1),
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    title: z.string().min(1),
    space: z.enum(['pixel', 'latent']),
    shape: z.tuple([z.number().int().min(1).max(4), z.number().int().min(1).max(1024), z.number().int().min(1).max(1024)]),
    valueRange: z.tuple([z.number(), z.number()]),
    classes: z.array(z.string().min(1)).min(1),
    nullClass: z.number().int().min(0),
    files: z
      .object({
        gradient: fileName,
        energy: fileName.optional(),
        classifier: fileName.optional(),
        decoder: fileName.optional(),
        encoder: fileName.optional()
      })
      .passthrough(),
    sampler: samplerSettingsSchema,
    ood: oodCalibrationSchema.nullable(),
    studio: studioDefaultsSchema.optional(),
    provenance: z.record(z.string(), z.unknown())
  })
  .refine((m) => m.valueRange[0] < m.valueRange[1], { message: 'valueRange must be [low, high] with low < high' })
  .refine((m) => m.nullClass >= m.classes.length, {
    message: 'nullClass must be an index past the named classes'
  })
  .refine((m) => m.space === 'pixel' || m.files.decoder !== undefined, {
    message: 'latent models need files.decoder'
  })
export type ModelManifest = z.infer<typeof modelManifestSchema>

/** Formats a zod error as one line: "path: problem; path: problem". */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ')
}
