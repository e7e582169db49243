import type { JobResult } from '../../shared/jobs'
import type { ModelManifest } from '../../shared/manifest'
import type { ParsedParams } from '../../shared/engine-schemas'
import { bytesToValues } from '../../shared/image-convert'
import type { DescentSample } from '../sampler'
import { imageSeed } from '../rng'
import { estimateNoiseLevel, renoiseHeld, repairStart, restoreHeld } from '../held-renoise'
import { checkConditions, commonResultParams, resolveSampler, type JobModels, type JobRuntime } from './job-context'
import { descendWithFrames } from './descent-frames'
import { assembleResult } from './job-result'
import { sampleImages } from './latent-images'
import { decodeModelImage } from './model-image'
import { EngineError } from '../errors'

/**
 * Partial denoising: noise is blended into the masked region (x + m s (eps - x), the training
 * interpolation at gamma = 1 - s), then the landscape pulls it back. The noise level is not
 * given to the model; it does not need it (docs/method.md, "Repair").
 */
export async function runRepair(models: JobModels, manifest: ModelManifest, params: ParsedParams<'repair'>, runtime: JobRuntime): Promise<JobResult> {
  const started = performance.now()
  if (manifest.space === 'latent') {
    throw new EngineError('bad-request', `${manifest.id} is a latent model: it repairs photos at their own size (eqm repair --in PHOTO --mask MASK), not model-sized images`)
  }
  checkConditions(params.conditions, manifest)
  const settings = resolveSampler(manifest.sampler, params.sampler)
  const original = bytesToValues(decodeModelImage(params.image, manifest, 'image'), manifest.valueRange)
  const maskBytes = decodeModelImage(params.mask, manifest, 'mask', 1)
  const plane = maskBytes.length
  const weight = new Float32Array(models.field.sampleSize)
  for (let i = 0; i < weight.length; i++) weight[i] = maskBytes[i % plane] / 255
  const seeds = Array.from({ length: params.count }, (_, i) => imageSeed(params.seed, i))
  const starts = seeds.map((seed) => repairStart(original, weight, params.strength, seed))
  const heldNoise = starts.map((start) => start.heldNoise)
  const samples: DescentSample[] = starts.map(({ x }) => ({ x, freedom: params.holdUnmasked ? weight : undefined }))
  // held pixels follow the painted region's noise level (see held-renoise.ts); the level is
  // estimated from the image, the strength is never used for it
  const renoise = params.holdUnmasked
    ? () => samples.forEach((sample, i) => renoiseHeld(sample.x, weight, original, heldNoise[i], estimateNoiseLevel(sample.x, weight, manifest.shape)))
    : undefined
  renoise?.()
  const outcomes = await descendWithFrames({ models, manifest, runtime, params, samples, settings, afterStep: renoise })
  if (params.holdUnmasked) for (const sample of samples) restoreHeld(sample.x, weight, original)
  const resultParams = { ...commonResultParams('repair', manifest, params, settings, models), strength: params.strength, holdUnmasked: params.holdUnmasked }
  const rendered = await sampleImages(models, manifest, samples, runtime.isCancelled)
  return assembleResult(params.jobId, resultParams, manifest, { samples, outcomes, seeds }, rendered, started)
}
