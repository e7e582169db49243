import type { ModelManifest, OodCalibration } from '../../shared/manifest'
import type { ModelImage } from '../../shared/jobs'
import { EngineError } from '../errors'
import { OOD_FEATURE_DEFAULTS } from '../../shared/settings'
import { featureSpec } from '../ood'
import { appendFeatures, classifierNetwork, pairNetwork, scoreInputs } from '../ood-features'
import { fitOodCalibration } from '../ood-fit'
import { needsClassCount, needsClassifier, needsPair, type OodFeatures } from '../ood-kinds'
import type { JobModels } from './job-context'
import { modelInputs, oodInputFormat } from './image-jobs'

/**
 * Fits the model's OOD calibration, for the score kind it already has (grad-rms when it has none)
 * or for `score` (the user's choice; its noise levels and seeds are the model's where it has them),
 * to in-distribution images arriving in batches; each batch's model work goes through `run`
 * (the engine's queue), so a large folder is never held whole and other jobs interleave.
 */
export async function runCalibration(
  models: JobModels,
  manifest: ModelManifest,
  batches: AsyncIterable<{ name: string; image: ModelImage }[]>,
  run: <T>(work: () => Promise<T>) => Promise<T>,
  score?: string
): Promise<OodCalibration & { calibrationImages: number }> {
  const base = calibrationBase(manifest, score)
  if (base.score === 'energy') throw new EngineError('bad-request', `${manifest.id}: calibrating the "energy" score is not supported yet`)
  const spec = featureSpec(base, oodInputFormat(manifest))
  // a pair score on a model without files.ood is refused before any image is read
  if (needsPair(base.score)) await pairNetwork(models, base.score, manifest.id)
  if (needsClassifier(base.score)) await classifierNetwork(models, base.score, manifest.id)
  let fitted: OodFeatures | null = null
  for await (const batch of batches) {
    const features = await run(async () => scoreInputs(models, await modelInputs(models, manifest, batch), spec, base.score, manifest.id))
    fitted = fitted ? appendFeatures(fitted, features) : features
  }
  // no images at all: the fit says how many it needs
  const all = fitted ?? { rms: [], dot: [] }
  return { ...fitOodCalibration(all, { score: base.score, spec, tpr: base.tpr ?? 0.95 }), calibrationImages: all.rms.length }
}

/** What a calibration is fitted for: the model's own score and spec, or `score` with the model's spec (defaults where it has none). */
function calibrationBase(manifest: ModelManifest, score: string | undefined): Pick<OodCalibration, 'score' | 'tpr' | 'noiseLevels' | 'seeds' | 'classes'> {
  const own = manifest.ood
  if (score === undefined || score === own?.score) return own ?? { score: 'grad-rms', tpr: 0.95 }
  const spec = { noiseLevels: own?.noiseLevels ?? [...OOD_FEATURE_DEFAULTS.noiseLevels], seeds: own?.seeds ?? [...OOD_FEATURE_DEFAULTS.seeds] }
  return { score, tpr: own?.tpr ?? 0.95, ...spec, ...(needsClassCount(score) ? { classes: manifest.classes.length } : {}) }
}
