import type { Frame } from '../../shared/frames'
import type { Condition } from '../../shared/jobs'
import { samplerSettingsSchema, describeZodError, resolveStudioDefaults, type ModelManifest, type SamplerSettings } from '../../shared/manifest'
import type { ResultParams } from '../../shared/result-params'
import type { GradientField } from '../gradient-field'
import { EngineError } from '../errors'
import type { OnnxVae } from '../onnx-vae'
import type { OodClassifier } from '../ood-features'

/** A forward pass to energy values (EqM-E): OnnxEnergyModel, or an analytic one in tests. */
export interface EnergyModel {
  energies(x: Float32Array, labels: ArrayLike<number>, rows: number): Promise<Float32Array>
}

/** The networks a job runs: the gradient field, and the explicit energy where the model has one. */
export interface JobModels {
  field: GradientField
  energy: EnergyModel | null
  /** the job's rows may share model calls with other jobs' (row-packer.ts) */
  rowPacking?: boolean
  /** latent models: the VAE that decodes results and encodes photos */
  vae?: OnnxVae | null
  /**
   * OOD models of a manifest with files.ood only (model-sessions.ts oodModels, where `field` is the
   * OOD network): the generating network in fp32, loaded on first use, for the pair score (ood-kinds.ts)
   */
  generatingField?: () => Promise<GradientField>
  /** OOD models with files.ood and files.classifier: the classifier, for the classifier variant (ood-kinds.ts) */
  classifier?: () => Promise<OodClassifier>
}

/** where the preview frames' energy estimate gets its exact values (EngineOptions.energyAnchor) */
export type EnergyAnchor = 'end' | 'inline' | 'concurrent'
/** EngineOptions.energyAnchor's default, chosen by npm run bench (previews.byAnchor) */
export const ENERGY_ANCHOR_DEFAULT: EnergyAnchor = 'end'

/** What a running job needs from the engine: cancel state and the way to its client. */
export interface JobRuntime {
  isCancelled(): boolean
  /** stop-and-keep (absent: never) */
  isStopped?(): boolean
  frameIntervalMs: number
  /** where the frames' energy estimate gets its exact values (EngineOptions.energyAnchor) */
  energyAnchor?: EnergyAnchor
  sendFrame(frame: Frame): void
  onAck(listener: ((seq: number) => void) | null): void
}

/** The manifest's sampler settings with a job's overrides, validated as a whole. */
export function resolveSampler(defaults: SamplerSettings, overrides: Partial<SamplerSettings> | undefined): SamplerSettings {
  const merged = samplerSettingsSchema.safeParse({ ...defaults, ...overrides })
  if (!merged.success) throw new EngineError('bad-request', `sampler: ${describeZodError(merged.error)}`)
  return merged.data
}

/** Repair's defaults: the model's sampler with the manifest's studio.repair.sampler over it (the settings repair was benchmarked with). */
export function repairSamplerDefaults(manifest: ModelManifest): SamplerSettings {
  return resolveStudioDefaults(manifest.studio, manifest.sampler).repair.sampler
}

export function checkConditions(conditions: readonly Condition[], manifest: ModelManifest): void {
  for (const c of conditions) {
    if (c.classIndex >= manifest.classes.length) {
      throw new EngineError(
        'bad-request',
        `class index ${c.classIndex} does not exist: ${manifest.id} has ${manifest.classes.length} classes (0-${manifest.classes.length - 1})`
      )
    }
  }
}

/** The parameters every result records: model, conditions with their class names, sampler, seed, count, provider, int8 precision. */
export function commonResultParams(
  kind: ResultParams['kind'],
  manifest: ModelManifest,
  params: { conditions: readonly Condition[]; seed: number; count: number },
  settings: SamplerSettings,
  models: JobModels
): ResultParams {
  return {
    kind,
    modelId: manifest.id,
    conditions: params.conditions.map((c) => ({ classIndex: c.classIndex, className: manifest.classes[c.classIndex], weight: c.weight })),
    sampler: settings,
    seed: params.seed,
    count: params.count,
    provider: models.field.provider,
    // only where int8: fp32 results keep the parameters (and so the PNG bytes) they had before
    ...(models.field.precision === 'int8' ? { precision: 'int8' as const } : {}),
    ...(models.rowPacking ? { rowPacking: true } : {})
  }
}
