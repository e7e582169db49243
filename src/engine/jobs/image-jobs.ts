import type { ClassifyResult, OodResult } from '../../shared/jobs'
import type { ModelManifest, OodCalibration } from '../../shared/manifest'
import type { ParsedParams } from '../../shared/engine-schemas'
import { bytesToValues } from '../../shared/image-convert'
import { oodScoresExplained, percentileOf } from '../ood'
import type { ImageFormat } from '../ood-kinds'
import { EngineError } from '../errors'
import type { EnergyModel, JobModels } from './job-context'
import { decodeModelImage, imageShapeOf } from './model-image'
import { requireVae } from './latent-images'

/** What the model's classifier sees in one image: the most probable class and all probabilities. */
export async function runClassify(
  classifier: { probabilities(x: Float32Array): Promise<number[]> },
  manifest: ModelManifest,
  params: ParsedParams<'image.classify'>
): Promise<ClassifyResult> {
  const x = bytesToValues(decodeModelImage(params.image, manifest, 'image'), manifest.valueRange)
  const probabilities = await classifier.probabilities(x)
  const classIndex = probabilities.indexOf(Math.max(...probabilities))
  return { classIndex, probability: probabilities[classIndex], probabilities }
}

/** Each image's OOD score under the model's calibration, its flag and where it falls among real images. */
export async function runOod(models: JobModels, manifest: ModelManifest, params: ParsedParams<'ood.score'>, calibrated: OodCalibration | null = manifest.ood): Promise<OodResult[]> {
  const images = await modelInputs(models, manifest, params.images)
  const calibration = calibrated ?? { score: manifest.ood?.score ?? 'grad-rms' }
  const { scores, comparedWithClass, orientation, contrast, centring } = calibration.score === 'energy' ? { scores: await energyScores(models, manifest, images) } : await oodScoresExplained(models, images, calibration, manifest.id, oodInputFormat(manifest))
  return params.images.map((entry, i) => ({
    name: entry.name,
    score: scores[i],
    flagged: calibrated ? scores[i] > calibrated.threshold : null,
    percentile: calibrated ? percentileOf(scores[i], calibrated.quantiles) : null,
    ...(comparedWithClass?.[i] !== undefined ? { comparedWithClass: comparedWithClass[i] } : {}),
    ...(orientation?.[i] ? { orientation: orientation[i] } : {}),
    ...(contrast?.[i] ? { contrast: contrast[i] } : {}),
    ...(centring?.[i] ? { centring: centring[i] } : {})
  }))
}

/** What the OOD copy checks know of a model's inputs: a latent model's are latents, with no value range to stretch to. */
export function oodInputFormat(manifest: ModelManifest): ImageFormat {
  return manifest.space === 'latent' ? { shape: manifest.shape } : { shape: manifest.shape, valueRange: manifest.valueRange }
}

/**
 * Wire images as the model's inputs: values in its range, or for latent models the VAE's latent
 * of each image (OOD scores of a latent model live in latent space).
 */
export async function modelInputs(models: JobModels, manifest: ModelManifest, images: readonly { name: string; image: ParsedParams<'ood.score'>['images'][number]['image'] }[]): Promise<Float32Array[]> {
  const values = images.map((entry) => bytesToValues(decodeModelImage(entry.image, manifest, entry.name), manifest.valueRange))
  if (manifest.space !== 'latent') return values
  const vae = requireVae(models, manifest)
  const [, height, width] = imageShapeOf(manifest)
  const latents: Float32Array[] = []
  for (const image of values) latents.push(await vae.encode(image, height, width))
  return latents
}

/** OOD score "energy": the explicit model's unconditional energy at the image. */
async function energyScores(models: JobModels, manifest: ModelManifest, images: Float32Array[]): Promise<number[]> {
  if (!models.energy) throw new EngineError('model-invalid', `${manifest.id}: OOD score "energy" needs files.energy in the manifest`)
  return unconditionalEnergies(models.energy, images, manifest.nullClass, models.field.sampleSize, models.field.maxBatchRows)
}

/** The energy model's unconditional energy of each image, at most `batchRows` images a call. */
export async function unconditionalEnergies(energy: EnergyModel, images: Float32Array[], nullClass: number, size: number, batchRows: number): Promise<number[]> {
  const scores: number[] = []
  for (let start = 0; start < images.length; start += batchRows) {
    const chunk = images.slice(start, start + batchRows)
    const x = new Float32Array(chunk.length * size)
    chunk.forEach((image, i) => x.set(image, i * size))
    scores.push(...(await energy.energies(x, new Int32Array(chunk.length).fill(nullClass), chunk.length)))
  }
  return scores
}
