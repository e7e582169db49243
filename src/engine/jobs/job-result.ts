import type { JobResult, ResultImage } from '../../shared/jobs'
import type { ModelManifest } from '../../shared/manifest'
import type { ResultParams } from '../../shared/result-params'
import { bytesToBase64 } from '../../shared/base64'
import type { DescentSample, SampleOutcome } from '../sampler'
import { encodeModelPng } from '../image-files'
import type { SampleImages } from './latent-images'

/** What a finished job's descent left: the samples, how each stopped, and their seeds. */
export interface FinishedDescent {
  samples: DescentSample[]
  outcomes: SampleOutcome[]
  seeds: number[]
}

/**
 * The finished job: images with their own seeds and full parameters (written into each
 * PNG's parameters chunk), and the job's parameters. `params` is the job's record with the
 * job's first seed and count; each image's record has its own seed and count 1.
 */
export function assembleResult(jobId: string, params: ResultParams, manifest: ModelManifest, descent: FinishedDescent, rendered: SampleImages, started: number): JobResult {
  const { width, height } = rendered.size
  const images: ResultImage[] = descent.samples.map((_, i) => {
    const own: ResultParams = { ...params, seed: descent.seeds[i], count: 1 }
    const png = encodeModelPng(rendered.bytes[i], rendered.size, JSON.stringify(own))
    const outcome = descent.outcomes[i]
    return { png: bytesToBase64(png), width, height, seed: descent.seeds[i], steps: outcome.steps, gradNorm: outcome.gradNorm, stopped: outcome.stopped }
  })
  return {
    jobId,
    kind: params.kind,
    modelId: manifest.id,
    images,
    params,
    evaluations: descent.outcomes.reduce((n, o) => n + o.steps, 0),
    elapsedMs: performance.now() - started
  }
}
