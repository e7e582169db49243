import type { JobResult } from '../../shared/jobs'
import type { ModelManifest } from '../../shared/manifest'
import type { ParsedParams } from '../../shared/engine-schemas'
import { bytesToValues } from '../../shared/image-convert'
import { checkConditions, commonResultParams, repairSamplerDefaults, resolveSampler, type JobModels, type JobRuntime } from './job-context'
import { descendHeld } from './held-descent'
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
  const settings = resolveSampler(repairSamplerDefaults(manifest), params.sampler)
  const original = bytesToValues(decodeModelImage(params.image, manifest, 'image'), manifest.valueRange)
  const maskBytes = decodeModelImage(params.mask, manifest, 'mask', 1)
  const plane = maskBytes.length
  const weight = new Float32Array(models.field.sampleSize)
  for (let i = 0; i < weight.length; i++) weight[i] = maskBytes[i % plane] / 255
  const { samples, outcomes, seeds } = await descendHeld({ models, manifest, runtime, settings, params }, original, weight)
  const resultParams = { ...commonResultParams('repair', manifest, params, settings, models), strength: params.strength, holdUnmasked: params.holdUnmasked }
  const rendered = await sampleImages(models, manifest, samples, runtime.isCancelled)
  return assembleResult(params.jobId, resultParams, manifest, { samples, outcomes, seeds }, rendered, started)
}
