import type { JobResult } from '../../shared/jobs'
import type { ModelManifest } from '../../shared/manifest'
import type { ParsedParams } from '../../shared/engine-schemas'
import { SeededRandom, imageSeed } from '../rng'
import { checkConditions, commonResultParams, resolveSampler, type JobModels, type JobRuntime } from './job-context'
import { descendWithFrames } from './descent-frames'
import { assembleResult } from './job-result'
import { sampleImages } from './latent-images'

/** Generation and composition: descend from seeded noise under the job's conditions. */
export async function runGenerate(models: JobModels, manifest: ModelManifest, params: ParsedParams<'generate'>, runtime: JobRuntime): Promise<JobResult> {
  const started = performance.now()
  checkConditions(params.conditions, manifest)
  const settings = resolveSampler(manifest.sampler, params.sampler)
  const seeds = Array.from({ length: params.count }, (_, i) => imageSeed(params.seed, i))
  const samples = seeds.map((seed) => ({ x: new SeededRandom(seed).fillNormal(new Float32Array(models.field.sampleSize)) }))
  const outcomes = await descendWithFrames({ models, manifest, runtime, params, samples, settings })
  const resultParams = commonResultParams('generate', manifest, params, settings, models)
  const rendered = await sampleImages(models, manifest, samples, runtime.isCancelled)
  return assembleResult(params.jobId, resultParams, manifest, { samples, outcomes, seeds }, rendered, started)
}
