import { z } from 'zod'
import { COMPOSE, REPAIR, SAMPLER, SAMPLER_METHOD, type NumberSetting, type SamplerMethod } from './settings'

/** A number within a setting's bounds (src/shared/settings.ts owns them). */
export function settingNumber(setting: NumberSetting) {
  const base = z.number().min(setting.min).max(setting.max)
  return setting.integer ? base.int() : base
}

/** Sampler settings: the manifest's defaults, and what a job may override. */
export const samplerSettingsSchema = z.object({
  method: z.enum(SAMPLER_METHOD.choices.map((c) => c.value) as [SamplerMethod, ...SamplerMethod[]]),
  stepSize: settingNumber(SAMPLER.stepSize),
  mu: settingNumber(SAMPLER.mu),
  maxSteps: settingNumber(SAMPLER.maxSteps),
  /** Per-sample stop: RMS of the guided gradient (L2 norm / sqrt(element count)). 0 = never stop early. */
  stopGradNorm: settingNumber(SAMPLER.stopGradNorm),
  cfg: settingNumber(SAMPLER.cfg),
  /** guidance by place on the landscape (sampler.ts): farCfg until the guided RMS first falls under farUntilRms */
  farCfg: settingNumber(SAMPLER.farCfg).optional(),
  farUntilRms: settingNumber(SAMPLER.farUntilRms).optional(),
  /** the clock method's guidance interval (sampler-clock.ts): farCfg while t < farUntilTime */
  farUntilTime: settingNumber(SAMPLER.farUntilTime).optional()
})
export type SamplerSettings = z.infer<typeof samplerSettingsSchema>
const samplerMethodSchema = samplerSettingsSchema.shape.method

/**
 * Each method's benchmarked setting on this model, as a patch over its `sampler` (Generate's
 * default): a method needs its own steps and guidance (the clock's 19 Heun steps at CFG 2 would
 * stop a descent far from equilibrium, the descent's CFG 4 would make the clock's images alike),
 * so the studio and the CLI apply a method's preset when the user picks that method.
 */
export const samplerPresetsSchema = z.partialRecord(samplerMethodSchema, samplerSettingsSchema.partial())
export type SamplerPresets = Partial<Record<SamplerMethod, SamplerSettings>>

/** The manifest's presets made whole: each over the model's sampler, its method its key. */
export function resolveSamplerPresets(presets: z.infer<typeof samplerPresetsSchema> | undefined, sampler: SamplerSettings): SamplerPresets {
  const out: SamplerPresets = {}
  for (const [method, patch] of Object.entries(presets ?? {}) as [SamplerMethod, Partial<SamplerSettings>][]) out[method] = { ...sampler, ...patch, method }
  return out
}

/**
 * The settings a tool moves to when its method changes to `method`: the tool's own defaults when
 * they are for that method, else the model's preset for it, else the current values with only
 * the method changed (nothing benchmarked to go by).
 */
export function samplerForMethod(current: SamplerSettings, method: SamplerMethod, defaults: SamplerSettings, presets: SamplerPresets): SamplerSettings {
  if (defaults.method === method) return defaults
  return presets[method] ?? { ...current, method }
}

/** The flipped and turned copies the OOD orientation check compares an image with (src/engine/ood-copies.ts). */
export const ORIENTATION_COPIES = ['hflip', 'vflip', 'rot90', 'rot180', 'rot270'] as const
export type OrientationCopy = (typeof ORIENTATION_COPIES)[number]

export const oodCalibrationSchema = z.object({
  /** Which score the engine computes; see src/engine/ood-kinds.ts. */
  score: z.string().min(1),
  /** Higher score = further from the training data. */
  quantiles: z.array(z.tuple([z.number().min(0).max(1), z.number()])).min(2),
  threshold: z.number(),
  /** True-positive rate on in-distribution data the threshold was set for (e.g. 0.95). */
  tpr: z.number().min(0).max(1),
  // each level and seed is a model row per image (per class, for the per-class score): bounded, so a
  // broken or hostile calibration cannot make one OOD call run for hours
  noiseLevels: z.array(z.number().min(0).max(1)).max(16).optional(),
  seeds: z.array(z.number().int().min(0)).max(16).optional(),
  /** Gaussian fit (mahalanobis scores): mean and precision of the score's vector (src/engine/ood-fit.ts;
   *  mahalanobis-align-pair: the OOD network's align vector, then the generating network's;
   *  mahalanobis-align-pair-classifier: that, then the classifier's three numbers) */
  mean: z.array(z.number()).optional(),
  precision: z.array(z.array(z.number())).optional(),
  /** classes 0..classes-1 whose conditional gradients the mahalanobis-cond and mahalanobis-align-pair-class scores use */
  classes: z.number().int().min(1).optional(),
  /** mahalanobis-align-pair-class: one mean per class (classes rows, each as long as mean); precision is then
   *  the inverse of the scatter around each image's class mean, shared by the classes */
  classMeans: z.array(z.array(z.number())).optional(),
  /** mahalanobis-align-pair-class-orient(-stretch): the flipped and turned copies compared with the image
   *  (src/engine/ood-copies.ts), each a full per-class score: at most the five there are */
  orientations: z.array(z.enum(ORIENTATION_COPIES)).min(1).max(ORIENTATION_COPIES.length).optional(),
  /** mahalanobis-align-pair-class-orient: how much more typical (log score) a copy may look than the image before the score rises */
  orientMargin: z.number().optional(),
  /** mahalanobis-align-pair-class-orient-stretch: the same for the image stretched to the model's full value range */
  stretchMargin: z.number().optional(),
  /** mahalanobis-align-pair-class-orient-stretch-centre: the same for the image moved to the centre of the frame */
  centreMargin: z.number().optional()
}).passthrough()
export type OodCalibration = z.infer<typeof oodCalibrationSchema>

/**
 * The studio's starting values for this model, chosen from its benchmarks
 * (training/REPAIR.md, training/COMPOSE.md). All optional: the fallbacks below apply.
 * A tool's `sampler` changes the model's sampler (the Generate default) for that tool: each tool
 * keeps the settings it was benchmarked with when Generate's default moves.
 */
export const studioDefaultsSchema = z.object({
  repair: z
    .object({ strength: settingNumber(REPAIR.strength), holdUnmasked: z.boolean(), guideHintStrength: settingNumber(REPAIR.guideHintStrength), sampler: samplerSettingsSchema.partial() })
    .partial()
    .optional(),
  compose: z.object({ weight: settingNumber(COMPOSE.weight), cfg: settingNumber(COMPOSE.cfg), sampler: samplerSettingsSchema.partial() }).partial().optional()
})
export interface StudioDefaults {
  /** guideHintStrength: from this noise strength on, the studio suggests naming the photo's class; sampler: Repair's (engine default for repair jobs too) */
  repair: { strength: number; holdUnmasked: boolean; guideHintStrength: number; sampler: SamplerSettings }
  /** each class of a new composition gets `weight`; the composition samples with `sampler` (its guidance `cfg`) */
  compose: { weight: number; cfg: number; sampler: SamplerSettings }
}

export function resolveStudioDefaults(studio: z.infer<typeof studioDefaultsSchema> | undefined, sampler: SamplerSettings): StudioDefaults {
  const composeSampler = { ...sampler, ...(studio?.compose?.cfg !== undefined ? { cfg: studio.compose.cfg } : {}), ...studio?.compose?.sampler }
  return {
    repair: {
      strength: studio?.repair?.strength ?? REPAIR.strength.default,
      holdUnmasked: studio?.repair?.holdUnmasked ?? true,
      guideHintStrength: studio?.repair?.guideHintStrength ?? REPAIR.guideHintStrength.default,
      sampler: { ...sampler, ...studio?.repair?.sampler }
    },
    compose: { weight: studio?.compose?.weight ?? COMPOSE.weight.default, cfg: composeSampler.cfg, sampler: composeSampler }
  }
}

/** A file of the model's own folder: a plain name, never a path (no "/", "\\", "." or ".."). */
const fileName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._-]+$/, 'must be a plain file name inside the model folder')
  .refine((name) => name !== '.' && name !== '..', 'must be a plain file name inside the model folder')

/** Another model folder's id: shared parts (a VAE) are named by id, never by a path. */
export const modelIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a model id (a-z, 0-9, -)')

/** Latent models: which VAE (by id, in <models root>/vae/<id>/) maps between the latent and the image. */
export const latentSpaceSchema = z.object({
  vae: modelIdSchema,
  /** the latent is the VAE's posterior mean times this (SD-VAE: 0.18215) */
  scale: z.number().positive(),
  /** the decoded image [C, H, W] */
  imageShape: z.tuple([z.number().int().min(1).max(4), z.number().int().min(1).max(8192), z.number().int().min(1).max(8192)]),
  /**
   * Guidance (CFG, composition) on the first N latent channels only; the others get the unguided
   * combination. The reference sampler guides 3 of 4 channels (inherited from DiT); set 3 here to
   * reproduce its published numbers. Absent: every channel (the guidance formula as written).
   */
  guidedChannels: z.number().int().min(1).max(64).optional()
})
export type LatentSpace = z.infer<typeof latentSpaceSchema>

export const modelManifestSchema = z
  .object({
    schemaVersion: z.literal(1),
    id: modelIdSchema,
    title: z.string().min(1),
    space: z.enum(['pixel', 'latent']),
    shape: z.tuple([z.number().int().min(1).max(4), z.number().int().min(1).max(1024), z.number().int().min(1).max(1024)]),
    valueRange: z.tuple([z.number(), z.number()]),
    classes: z.array(z.string().min(1)).min(1),
    nullClass: z.number().int().min(0),
    files: z
      .object({
        /** absent only where `unavailable` says why the model cannot generate */
        gradient: fileName.optional(),
        energy: fileName.optional(),
        /**
         * the gradient network the OOD score reads, where it is not files.gradient: a field trained
         * to repair local noise (spatially varying noise) also forgives stroke-like structure that
         * is not clothing, so the model can keep a uniformly trained field for OOD (docs/method.md §6)
         */
        ood: fileName.optional(),
        classifier: fileName.optional(),
        decoder: fileName.optional(),
        encoder: fileName.optional()
      })
      .catchall(fileName),
    /** latent models: the VAE they need, by id (shared parts are never named by a path) */
    latent: latentSpaceSchema.optional(),
    /** why the studio cannot generate with this model (e.g. an imported energy-only EqM-E) */
    unavailable: z.string().min(1).optional(),
    sampler: samplerSettingsSchema,
    samplerPresets: samplerPresetsSchema.optional(),
    ood: oodCalibrationSchema.nullable(),
    studio: studioDefaultsSchema.optional(),
    /**
     * How the model repairs. renoiseHeld (default true): before each step the held pixels are
     * re-noised to the painted region's estimated level (docs/method.md §5), for fields trained on
     * one noise level per image; false for fields trained with spatially varying noise, which
     * answer locally and see the held pixels clean.
     */
    repair: z.object({ renoiseHeld: z.boolean() }).optional(),
    /** the training schedule c(t) = lambda min(1, (1 - t)/(1 - a)) the clock sampler divides by; default a 0.8, lambda 4 */
    decay: z.object({ a: z.number().min(0).max(0.99), lambda: z.number().positive().max(100) }).optional(),
    provenance: z.record(z.string(), z.unknown())
  })
  .refine((m) => m.valueRange[0] < m.valueRange[1], { message: 'valueRange must be [low, high] with low < high' })
  .refine((m) => m.nullClass >= m.classes.length, {
    message: 'nullClass must be an index past the named classes'
  })
  // a calibration's class count drives rows per image (classes x seeds): never past the model's own classes
  .refine((m) => m.ood?.classes === undefined || m.ood.classes <= m.classes.length, {
    message: 'ood.classes must not exceed the number of classes the model names'
  })
  .refine((m) => m.space === 'pixel' || m.latent !== undefined || m.files.decoder !== undefined, {
    message: 'latent models need a latent block (the VAE id and scale) or files.decoder'
  })
  .refine((m) => m.files.gradient !== undefined || m.unavailable !== undefined, {
    message: 'files.gradient is required unless "unavailable" says why the model cannot generate'
  })
export type ModelManifest = z.infer<typeof modelManifestSchema>

/** Formats a zod error as one line: "path: problem; path: problem". */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ')
}
