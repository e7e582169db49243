import type { ModelManifest, OodCalibration } from '../../shared/manifest'
import type { ModelImage } from '../../shared/jobs'
import { EngineError } from '../errors'
import { featureSpec, fitOodCalibration, oodFeatures, type OodFeatures } from '../ood'
import type { JobModels } from './job-context'
import { modelInputs } from './image-jobs'

/**
 * Fits the model's OOD calibration, for the score kind it already has (grad-rms when it has none),
 * to in-distribution images arriving in batches; each batch's model work goes through `run`
 * (the engine's queue), so a large folder is never held whole and other jobs interleave.
 */
export async function runCalibration(
  models: JobModels,
  manifest: ModelManifest,
  batches: AsyncIterable<{ name: string; image: ModelImage }[]>,
  run: <T>(work: () => Promise<T>) => Promise<T>
): Promise<OodCalibration & { calibrationImages: number }> {
  const base = manifest.ood ?? { score: 'grad-rms', tpr: 0.95, noiseLevels: undefined, seeds: undefined }
  if (base.score === 'energy') throw new EngineError('bad-request', `${manifest.id}: calibrating the "energy" score is not supported yet`)
  const spec = featureSpec(base)
  const all: Required<OodFeatures> = { rms: [], dot: [], align: [], condRms: [], cfgGap: [] }
  for await (const batch of batches) {
    const features = await run(async () => oodFeatures(models.field, await modelInputs(models, manifest, batch), spec))
    all.rms.push(...features.rms)
    all.dot.push(...features.dot)
    all.align.push(...(features.align ?? []))
    all.condRms.push(...(features.condRms ?? []))
    all.cfgGap.push(...(features.cfgGap ?? []))
  }
  return { ...fitOodCalibration(all, { score: base.score, spec, tpr: base.tpr ?? 0.95 }), calibrationImages: all.rms.length }
}
