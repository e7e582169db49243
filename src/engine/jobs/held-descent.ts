import type { Condition } from '../../shared/jobs'
import type { ModelManifest, SamplerSettings } from '../../shared/manifest'
import type { DescentSample } from '../sampler'
import { imageSeed } from '../rng'
import { estimateNoiseLevel, renoiseHeld, repairStart, restoreHeld } from '../held-renoise'
import type { JobModels, JobRuntime } from './job-context'
import { descendWithFrames } from './descent-frames'
import type { FinishedDescent } from './job-result'

export interface HeldDescentParams {
  jobId: string
  conditions: readonly Condition[]
  previewEvery: number
  seed: number
  count: number
  strength: number
  holdUnmasked: boolean
}

/**
 * The repair descent, for model-sized images and photo contexts alike: noise of the given
 * strength blended into the masked region, held elements re-noised to the region's estimated
 * level before each step (held-renoise.ts; the strength is never used for it; not for models
 * whose manifest says repair.renoiseHeld: false) and restored exactly at the end. `original`
 * and `weight` are in the model's space (pixels or latents).
 */
export async function descendHeld(
  job: { models: JobModels; manifest: ModelManifest; runtime: JobRuntime; settings: SamplerSettings; params: HeldDescentParams },
  original: Float32Array,
  weight: Float32Array
): Promise<FinishedDescent> {
  const { params, manifest } = job
  const seeds = Array.from({ length: params.count }, (_, i) => imageSeed(params.seed, i))
  const starts = seeds.map((seed) => repairStart(original, weight, params.strength, seed))
  const samples: DescentSample[] = starts.map(({ x }) => ({ x, freedom: params.holdUnmasked ? weight : undefined }))
  // fields trained with spatially varying noise see held pixels clean (manifest repair.renoiseHeld)
  const renoise = params.holdUnmasked && (manifest.repair?.renoiseHeld ?? true)
    ? () => samples.forEach((sample, i) => renoiseHeld(sample.x, weight, original, starts[i].heldNoise, estimateNoiseLevel(sample.x, weight, manifest.shape)))
    : undefined
  renoise?.()
  const outcomes = await descendWithFrames({ ...job, samples, afterStep: renoise })
  if (params.holdUnmasked) for (const sample of samples) restoreHeld(sample.x, weight, original)
  return { samples, outcomes, seeds }
}
