import type { GradientField } from './gradient-field'
import { freeRms } from './sampler'
import { SeededRandom } from './rng'
import { EngineError } from './errors'
import { ORIENTATIONS, reoriented, type Orientation } from './ood-copies'
import {
  CENTRE_SCORE,
  CHECKED_BASE,
  ORIENT_SCORE,
  RANGE_CHECK_PARTS,
  STRETCH_SCORE,
  isCopyCheckScore,
  needsClassifier,
  needsPair,
  rangeChecksOf,
  type OodFeatureSpec,
  type OodFeatures,
  type RangeCheck
} from './ood-kinds'

/*
 * The OOD scores' features of images (ood-kinds.ts says what each is): rows of the OOD network, and
 * for the pair scores the generating network's and the classifier's, of the images and of their copies.
 */

/** The classifier's OOD features of a batch of model inputs (OnnxClassifier). */
export interface OodClassifier {
  oodFeatures(images: readonly Float32Array[]): Promise<number[][]>
}

/**
 * The networks a field score reads: the OOD network and, where the model names a separate one
 * (manifest files.ood), the generating network, loaded on first use (jobs/job-context.ts JobModels).
 */
export interface OodNetworks {
  field: GradientField
  generatingField?: () => Promise<GradientField>
  /** the model's classifier, loaded on first use (the classifier variant only) */
  classifier?: () => Promise<OodClassifier>
}

/** The generating network for a pair score; refused where it is the OOD network itself (no files.ood). */
export async function pairNetwork(networks: OodNetworks, score: string, modelId: string): Promise<GradientField> {
  if (!networks.generatingField) {
    throw new EngineError(
      'model-invalid',
      `${modelId}: OOD score ${score} reads two networks, the OOD network (manifest files.ood) and the generating one (files.gradient); this model has no files.ood, so both would be the same network`
    )
  }
  return networks.generatingField()
}

/**
 * The features a calibration's score needs: the OOD network's, and for a pair score the generating
 * network's of the same images with the same noise levels and seeds (only rms, dot, align).
 */
export async function scoreInputs(networks: OodNetworks, images: readonly Float32Array[], spec: OodFeatureSpec, score: string, modelId: string): Promise<OodFeatures> {
  if (isCopyCheckScore(score)) {
    // refused before any model row is spent
    const checks = rangeChecksOf(score)
    if (checks.length && !spec.valueRange) throw new EngineError('model-invalid', noValueRange(score))
    const { orientations: _, shape: __, valueRange: ___, ...plain } = spec
    const features = await scoreInputs(networks, images, plain, CHECKED_BASE, modelId)
    features.reoriented = await reorientedInputs(networks, images, spec, modelId, features)
    await addRangeCheckInputs(features, checks, networks, images, spec, modelId, features)
    return features
  }
  const pairField = needsPair(score) ? await pairNetwork(networks, score, modelId) : undefined
  const classifier = needsClassifier(score) ? await classifierNetwork(networks, score, modelId) : undefined
  const features = await oodFeatures(networks.field, images, spec)
  if (!pairField) return features
  const { rms, dot, align } = await oodFeatures(pairField, images, { noiseLevels: spec.noiseLevels, seeds: spec.seeds })
  return { ...features, pair: { rms, dot, align }, ...(classifier ? { classifier: await classifier.oodFeatures(images) } : {}) }
}

/**
 * The orientation check's features: the per-class score's features of each image's copy, per orientation in spec.
 * `own`: the images' own per-class features, which a copy equal to its image takes (copyInputs).
 */
export async function reorientedInputs(networks: OodNetworks, images: readonly Float32Array[], spec: OodFeatureSpec, modelId: string, own?: OodFeatures): Promise<Partial<Record<Orientation, OodFeatures>>> {
  const { orientations, shape, ...plain } = spec
  if (!orientations?.length || !shape) throw new EngineError('model-invalid', `OOD score ${ORIENT_SCORE} needs calibration.orientations and the model's image shape`)
  const { valueRange: _, ...base } = plain
  const copies: Partial<Record<Orientation, OodFeatures>> = {}
  for (const orientation of orientations) copies[orientation] = await copyInputs(networks, images, images.map((image) => reoriented(image, orientation, shape)), base, modelId, own)
  return copies
}

const noValueRange = (score: string) =>
  `OOD score ${score} needs the value range of the model's inputs; a latent model's inputs are latents, which have no range to stretch to or background to centre on: pick another score`

/**
 * The range checks' features, into `features` (stretched, recentred): the per-class score's features of
 * each image's copy (contrast: stretched onto spec.valueRange; centring: moved to the centre, the range's
 * low end as background).
 */
export async function addRangeCheckInputs(features: OodFeatures, checks: readonly RangeCheck[], networks: OodNetworks, images: readonly Float32Array[], spec: OodFeatureSpec, modelId: string, own?: OodFeatures): Promise<void> {
  const { orientations: _, shape, valueRange, ...base } = spec
  for (const check of checks) {
    if (!valueRange || !shape) throw new EngineError('model-invalid', noValueRange(check === 'stretch' ? STRETCH_SCORE : CENTRE_SCORE))
    const parts = RANGE_CHECK_PARTS[check]
    features[parts.features] = await copyInputs(networks, images, images.map((image) => parts.copy(image, shape, valueRange)), base, modelId, own)
  }
}

/**
 * The per-class score's features of each image's copy. With `own` (the images' own per-class features,
 * same spec), a copy equal to its image takes its image's row instead of spending model rows on it: most
 * images of a pixel-space training set are already at full contrast (93% of the Fashion-MNIST test images
 * are their own contrast copy, 17% their own centred copy).
 */
async function copyInputs(networks: OodNetworks, images: readonly Float32Array[], copies: Float32Array[], spec: OodFeatureSpec, modelId: string, own?: OodFeatures): Promise<OodFeatures> {
  const differs = copies.map((copy, i) => !own || !sameValues(copy, images[i]))
  if (differs.every(Boolean)) return scoreInputs(networks, copies, spec, CHECKED_BASE, modelId)
  const fresh = differs.some(Boolean) ? await scoreInputs(networks, copies.filter((_, i) => differs[i]), spec, CHECKED_BASE, modelId) : undefined
  let next = 0
  return gatherFeatures(differs.map((differ, i) => (differ ? { from: fresh!, row: next++ } : { from: own!, row: i })))
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The per-image parts of OodFeatures besides rms and dot (pair, and the copies' features, are nested). */
const ROW_PARTS = ['align', 'condRms', 'cfgGap', 'classifier', 'alignClass'] as const

/** Features made of rows of others, in order: the parts (and pair) that every source has. */
function gatherFeatures(rows: readonly { from: OodFeatures; row: number }[]): OodFeatures {
  const out: OodFeatures = { rms: rows.map(({ from, row }) => from.rms[row]), dot: rows.map(({ from, row }) => from.dot[row]) }
  for (const key of ROW_PARTS) {
    if (rows.every(({ from }) => from[key])) (out as unknown as Record<string, unknown[]>)[key] = rows.map(({ from, row }) => (from[key] as unknown[])[row])
  }
  if (rows.length && rows.every(({ from }) => from.pair)) out.pair = gatherFeatures(rows.map(({ from, row }) => ({ from: from.pair!, row })))
  return out
}

/** The features of `more` images after those of `into` (a calibration's batches), every part that both have. */
export function appendFeatures(into: OodFeatures, more: OodFeatures): OodFeatures {
  const out: OodFeatures = { rms: [...into.rms, ...more.rms], dot: [...into.dot, ...more.dot] }
  for (const key of ROW_PARTS) {
    const a = into[key] as unknown[] | undefined
    const b = more[key] as unknown[] | undefined
    if (a && b) (out as unknown as Record<string, unknown[]>)[key] = [...a, ...b]
  }
  if (into.pair && more.pair) out.pair = appendFeatures(into.pair, more.pair)
  if (into.reoriented && more.reoriented) {
    const copies: Partial<Record<Orientation, OodFeatures>> = {}
    for (const orientation of ORIENTATIONS) {
      const a = into.reoriented[orientation]
      const b = more.reoriented[orientation]
      if (a && b) copies[orientation] = appendFeatures(a, b)
    }
    out.reoriented = copies
  }
  if (into.stretched && more.stretched) out.stretched = appendFeatures(into.stretched, more.stretched)
  if (into.recentred && more.recentred) out.recentred = appendFeatures(into.recentred, more.recentred)
  return out
}

/** The classifier for the classifier variant; refused where the model has none. */
export async function classifierNetwork(networks: OodNetworks, score: string, modelId: string): Promise<OodClassifier> {
  if (!networks.classifier) throw new EngineError('model-invalid', `${modelId}: OOD score ${score} reads the model's classifier, and this model has none (manifest files.classifier)`)
  return networks.classifier()
}

export async function oodFeatures(field: GradientField, images: readonly Float32Array[], spec: OodFeatureSpec): Promise<OodFeatures> {
  const size = field.sampleSize
  const levels = spec.noiseLevels.length ? spec.noiseLevels : [0]
  const seeds = spec.seeds.length ? spec.seeds : [0]
  const noises = seeds.map((seed) => new SeededRandom(seed).fillNormal(new Float32Array(size)))
  // one row per image and variant; level 0 needs no noise, so it has one variant
  type Variant = { li: number; level: number; noise: Float32Array | null }
  const variants = levels.flatMap((level, li): Variant[] => (level === 0 ? [{ li, level, noise: null }] : noises.map((noise) => ({ li, level, noise }))))
  const perLevel = levels.map((level) => (level === 0 ? 1 : seeds.length))
  const rms = images.map(() => new Array<number>(levels.length).fill(0))
  const dot = images.map(() => 0)
  const noisy = levels.map((level, li) => (level > 0 ? li : -1)).filter((li) => li >= 0)
  const align = images.map(() => new Array<number>(noisy.length).fill(0))
  const rowsTotal = images.length * variants.length
  for (let start = 0; start < rowsTotal; start += field.maxBatchRows) {
    const rows = Math.min(field.maxBatchRows, rowsTotal - start)
    const input = new Float32Array(rows * size)
    for (let r = 0; r < rows; r++) {
      const image = images[Math.floor((start + r) / variants.length)]
      const { level, noise } = variants[(start + r) % variants.length]
      const row = input.subarray(r * size, (r + 1) * size)
      if (!noise) row.set(image)
      else noisedInto(row, image, noise, level)
    }
    const output = await field.evaluate(input, new Int32Array(rows).fill(field.nullClass), rows)
    for (let r = 0; r < rows; r++) {
      const imageIndex = Math.floor((start + r) / variants.length)
      const { li, noise } = variants[(start + r) % variants.length]
      rms[imageIndex][li] += freeRms(output, r * size, size) / perLevel[li]
      if (noise) {
        align[imageIndex][noisy.indexOf(li)] += cosineToTarget(output, r * size, size, noise, images[imageIndex]) / perLevel[li]
      } else {
        const image = images[imageIndex]
        let sum = 0
        for (let i = 0; i < size; i++) sum += image[i] * output[r * size + i]
        dot[imageIndex] = sum / size
      }
    }
  }
  const classes = spec.classes ?? 0
  const features: OodFeatures = classes > 0 ? { rms, dot, align, ...(await conditionalFeatures(field, images, classes)) } : { rms, dot, align }
  const alignClasses = spec.alignClasses ?? 0
  if (alignClasses > 0) features.alignClass = await bestAlignClass(field, images, Math.max(...levels), noises, alignClasses)
  return features
}

/**
 * alignClass (see above): for each image, the class c whose conditional field at the noised image
 * (1 - level) x + level eps best points along eps - x, EqM's target there, averaged over the noises.
 * The top noise level is used because that is where the classes' fields differ most: near the clean
 * image every class's field is close to zero. Rows: classes x noises per image.
 */
async function bestAlignClass(field: GradientField, images: readonly Float32Array[], level: number, noises: readonly Float32Array[], classes: number): Promise<number[]> {
  if (!(level > 0)) throw new EngineError('model-invalid', 'OOD score mahalanobis-align-pair-class needs a noise level above 0 to find each image\'s class')
  const size = field.sampleSize
  const perImage = classes * noises.length
  const fit = images.map(() => new Float64Array(classes))
  const total = images.length * perImage
  for (let start = 0; start < total; start += field.maxBatchRows) {
    const rows = Math.min(field.maxBatchRows, total - start)
    const input = new Float32Array(rows * size)
    const labels = new Int32Array(rows)
    for (let r = 0; r < rows; r++) {
      const image = images[Math.floor((start + r) / perImage)]
      const within = (start + r) % perImage
      const noise = noises[Math.floor(within / classes)]
      noisedInto(input.subarray(r * size, (r + 1) * size), image, noise, level)
      labels[r] = within % classes
    }
    const output = await field.evaluate(input, labels, rows)
    for (let r = 0; r < rows; r++) {
      const imageIndex = Math.floor((start + r) / perImage)
      const within = (start + r) % perImage
      fit[imageIndex][within % classes] += cosineToTarget(output, r * size, size, noises[Math.floor(within / classes)], images[imageIndex])
    }
  }
  return fit.map((perClass, index) => {
    const best = perClass.indexOf(Math.max(...perClass))
    // a NaN anywhere makes the max NaN: said as the network's failure, not as a missing feature
    if (best < 0) throw new EngineError('model-output', `the OOD network's field is not finite at a noised copy of image ${index + 1}, so its class cannot be found`)
    return best
  })
}

/** (1 - level) x + level eps, EqM's noised image, written into `row`. */
function noisedInto(row: Float32Array, image: Float32Array, noise: Float32Array, level: number): void {
  for (let i = 0; i < row.length; i++) row[i] = (1 - level) * image[i] + level * noise[i]
}

/** cos(f, eps - x) of the output row at `offset`: how well the field recovers the noise it was given. */
function cosineToTarget(output: Float32Array, offset: number, size: number, noise: Float32Array, image: Float32Array): number {
  let cross = 0
  let outNorm = 0
  let targetNorm = 0
  for (let i = 0; i < size; i++) {
    const target = noise[i] - image[i]
    cross += output[offset + i] * target
    outNorm += output[offset + i] ** 2
    targetNorm += target * target
  }
  return cross / Math.sqrt(Math.max(outNorm * targetNorm, 1e-30))
}

/** condRms and cfgGap (see above): rows f(x, null) and f(x, c) for every class, at level 0. */
async function conditionalFeatures(field: GradientField, images: readonly Float32Array[], classes: number): Promise<{ condRms: number[]; cfgGap: number[] }> {
  const size = field.sampleSize
  const perImage = classes + 1
  const imagesPerCall = Math.max(1, Math.floor(field.maxBatchRows / perImage))
  const condRms: number[] = []
  const cfgGap: number[] = []
  for (let start = 0; start < images.length; start += imagesPerCall) {
    const count = Math.min(imagesPerCall, images.length - start)
    const rows = count * perImage
    const input = new Float32Array(rows * size)
    const labels = new Int32Array(rows)
    for (let r = 0; r < rows; r++) {
      input.set(images[start + Math.floor(r / perImage)], r * size)
      labels[r] = r % perImage === classes ? field.nullClass : r % perImage
    }
    const output = await field.evaluate(input, labels, rows)
    for (let k = 0; k < count; k++) {
      const base = k * perImage
      let best = 0
      let bestRms = Infinity
      for (let c = 0; c < classes; c++) {
        const value = freeRms(output, (base + c) * size, size)
        if (value < bestRms) [best, bestRms] = [c, value]
      }
      const nullOffset = (base + classes) * size
      const bestOffset = (base + best) * size
      let sum = 0
      for (let i = 0; i < size; i++) sum += (output[bestOffset + i] - output[nullOffset + i]) ** 2
      condRms.push(bestRms)
      cfgGap.push(Math.sqrt(sum / size))
    }
  }
  return { condRms, cfgGap }
}
