import type { OodCalibration } from '../shared/manifest'
import { OOD_SCORE, type OodScoreKind } from '../shared/settings'
import type { GradientField } from './gradient-field'
import { freeRms } from './sampler'
import { SeededRandom } from './rng'
import { EngineError } from './errors'
import { ORIENTATIONS, copyExcess, copyRaises, recentred, reoriented, stretched, withCopyChecks, type CopyCheck, type Orientation } from './ood-copies'

/**
 * Out-of-distribution scores: higher = further from the training data. Data points are
 * minima of the learned energy, where the gradient vanishes, so the size of the gradient at
 * an image, and at noised copies of it, says how far it is from the data manifold.
 *
 * Features (unconditional rows; noise from fixed seeds, so scores are reproducible):
 *   rms[l]  mean over seeds of RMS f((1 - l) x + l eps, null), for each level l in noiseLevels
 *   dot     x . f(x, null) / n
 *   align[l] mean over seeds of cos(f(x_l, null), eps - x) at each level l > 0: EqM's target at a
 *           noised image points from the clean image to the noise, so the field recovers the noise
 *           it was given where it knows the image, and less where it does not
 * Scores:
 *   grad-rms           rms at level 0
 *   grad-rms-noised    mean of rms over the levels
 *   dot                dot
 *   mahalanobis        (v - mean)^T precision (v - mean), v = log rms over the levels: a
 *                      Gaussian fitted to in-distribution images on a calibration split
 *   mahalanobis-dot    the same over (log rms over the levels, dot): the gradient's size and
 *                      its alignment with the image together
 *   mahalanobis-cond   the same over (log rms over the levels, dot, log condRms, log cfgGap), with
 *                      the class-conditional features (spec.classes > 0; rows f(x, c) at level 0):
 *     condRms          min over classes c of RMS f(x, c): how close x is to the nearest class's minimum
 *     cfgGap           RMS (f(x, c*) - f(x, null)), c* the class of condRms: what the best class changes
 *                      (a real image's class explains it; an image of no class is pulled nowhere in particular)
 *   mahalanobis-align  the same over (log rms over the levels, dot, align over the levels > 0)
 *   mahalanobis-align-pair  the same over [the OOD network's align vector, the generating network's]:
 *                      the same images, levels, seeds and noise through both networks of a model with
 *                      files.ood (features.pair holds the generating network's), one Gaussian over both
 *   mahalanobis-align-pair-class  the pair vector measured against the Gaussian of the image's own
 *                      class, the class found by the EqM field itself (alignClass: the class c whose
 *                      conditional field f(x_l, c) best recovers the noise, mean over seeds of
 *                      cos(f(x_l, c), eps - x) at the top noise level l, on the OOD network): one mean
 *                      per class and one covariance shared by all (within-class scatter). Real images
 *                      vary a lot between classes (a trouser's profile is not a bag's), so one Gaussian
 *                      over all of them is wide; measured against its own class's profile, an image
 *                      that is like no garment of the class it resembles most stands out
 *   mahalanobis-align-pair-class-orient  the per-class score with an orientation check
 *                      (ood-copies.ts): scaled up where a flipped or turned copy of the image
 *                      (calibration.orientations) scores as more typical than the image itself, by
 *                      more than the calibration's margin (calibration.orientMargin); features.reoriented
 *                      holds the copies' features
 *   mahalanobis-align-pair-class-orient-stretch  the same, and a contrast check beside it: scaled up
 *                      too where the image stretched to the model's full value range scores as more
 *                      typical than the image, by more than calibration.stretchMargin (a dimmed or
 *                      washed-out image); features.stretched holds the stretched copy's features
 *   mahalanobis-align-pair-class-orient-stretch-centre  and a centring check too: the image moved so
 *                      its content's centroid is mid-frame (calibration.centreMargin; an image shifted
 *                      off-centre); features.recentred holds that copy's features
 *   mahalanobis-align-pair-classifier  a variant, not an EqM-only score: the pair vector and the
 *                      model's classifier's view of the image (features.classifier: log of the best
 *                      class's softmax probability, logsumexp of the logits, log of the feature vector's
 *                      norm), one Gaussian over all. The classifier knows what a garment's parts look
 *                      like upright; rotated or cut-off ones lower its confidence where the field alone
 *                      sees a plausible image (training/OOD.md reports it apart from the EqM scores)
 */
/** the gradient-field scores computed here; "energy" (EqM-E) is scored by the energy model (jobs/image-jobs.ts) */
export const OOD_SCORES = OOD_SCORE.choices.map((c) => c.value).filter((kind): kind is Exclude<OodScoreKind, 'energy'> => kind !== 'energy')
type FieldScoreKind = (typeof OOD_SCORES)[number]

export interface OodFeatureSpec {
  noiseLevels: readonly number[]
  seeds: readonly number[]
  /** classes 0..classes-1 for the conditional features; 0 or absent: none */
  classes?: number
  /** classes 0..alignClasses-1 among which alignClass is found (score mahalanobis-align-pair-class); 0 or absent: none */
  alignClasses?: number
  /** the orientation check's copies (score mahalanobis-align-pair-class-orient), of images of `shape` */
  orientations?: readonly Orientation[]
  shape?: readonly [number, number, number]
  /** the value range of the model's inputs (pixel-space models): the contrast check stretches onto it, the centring check takes its low end as background */
  valueRange?: readonly [number, number]
}

/** What the copy checks need to know of a model's inputs: their shape, and for a pixel-space model the value range (a latent has none to stretch to). */
export interface ImageFormat {
  shape: readonly [number, number, number]
  valueRange?: readonly [number, number]
}

export interface OodFeatures {
  rms: number[][]
  dot: number[]
  /** one per noise level above 0, in order (always computed; optional for features read back from files) */
  align?: number[][]
  /** present when spec.classes > 0 */
  condRms?: number[]
  cfgGap?: number[]
  /** the generating network's features of the same images (score mahalanobis-align-pair): rms, dot, align */
  pair?: OodFeatures
  /** the classifier's view of each image (score mahalanobis-align-pair-classifier): CLASSIFIER_FEATURES */
  classifier?: number[][]
  /** the class whose conditional field best recovers the noise, per image (spec.alignClasses > 0) */
  alignClass?: number[]
  /** the same features of each image's flipped or turned copy, per orientation (spec.orientations) */
  reoriented?: Partial<Record<Orientation, OodFeatures>>
  /** the same features of each image stretched to the model's value range (spec.valueRange) */
  stretched?: OodFeatures
  /** the same features of each image moved to the centre of the frame */
  recentred?: OodFeatures
}

/** What the classifier variant reads of each image, in order (onnx-classifier.ts oodFeatures). */
export const CLASSIFIER_FEATURES = ['log best-class probability', 'logsumexp of the logits', 'log feature norm'] as const

/** The score kinds that read both networks of a model with files.ood. */
export const PAIR_SCORES: readonly string[] = ['mahalanobis-align-pair', 'mahalanobis-align-pair-class', 'mahalanobis-align-pair-class-orient', 'mahalanobis-align-pair-class-orient-stretch', 'mahalanobis-align-pair-class-orient-stretch-centre', 'mahalanobis-align-pair-classifier']
export const needsPair = (score: string): boolean => PAIR_SCORES.includes(score)
/** The per-class scores: they find each image's class (alignClass) and measure it against that class's mean. */
export const isClassScore = (score: string): boolean => score === 'mahalanobis-align-pair-class' || isCopyCheckScore(score)
/** The score kinds whose calibration counts the model's classes (calibration.classes; featureSpec). */
export const needsClassCount = (score: string): boolean => score === 'mahalanobis-cond' || isClassScore(score)
/** The per-class score with the orientation check (ood-copies.ts), with the contrast check too, and the score they check. */
export const ORIENT_SCORE = 'mahalanobis-align-pair-class-orient'
export const STRETCH_SCORE = 'mahalanobis-align-pair-class-orient-stretch'
export const CENTRE_SCORE = 'mahalanobis-align-pair-class-orient-stretch-centre'
const CHECKED_BASE = 'mahalanobis-align-pair-class'
/** The checks beside the orientation check that each copy-check score makes, in order; both need the inputs' value range. */
export type RangeCheck = 'stretch' | 'centre'
const RANGE_CHECKS: Record<string, readonly RangeCheck[]> = { [ORIENT_SCORE]: [], [STRETCH_SCORE]: ['stretch'], [CENTRE_SCORE]: ['stretch', 'centre'] }
/** Each range check's copy of an image, where its copies' features live, and its margin's calibration field. */
const RANGE_CHECK_PARTS: Record<RangeCheck, { copy: (image: Float32Array, shape: readonly [number, number, number], valueRange: readonly [number, number]) => Float32Array; features: 'stretched' | 'recentred'; margin: 'stretchMargin' | 'centreMargin' }> = {
  stretch: { copy: (image, _, valueRange) => stretched(image, valueRange), features: 'stretched', margin: 'stretchMargin' },
  centre: { copy: (image, shape, valueRange) => recentred(image, shape, valueRange[0]), features: 'recentred', margin: 'centreMargin' }
}
/** The scores that compare an image with copies of it (ood-copies.ts). */
export const isCopyCheckScore = (score: string): boolean => score in RANGE_CHECKS
const rangeChecksOf = (score: string): readonly RangeCheck[] => RANGE_CHECKS[score] ?? []
/** The score kinds that also read the model's classifier (files.classifier). */
export const needsClassifier = (score: string): boolean => score === 'mahalanobis-align-pair-classifier'

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
    features.reoriented = await reorientedInputs(networks, images, spec, modelId)
    await addRangeCheckInputs(features, checks, networks, images, spec, modelId)
    return features
  }
  const pairField = needsPair(score) ? await pairNetwork(networks, score, modelId) : undefined
  const classifier = needsClassifier(score) ? await classifierNetwork(networks, score, modelId) : undefined
  const features = await oodFeatures(networks.field, images, spec)
  if (!pairField) return features
  const { rms, dot, align } = await oodFeatures(pairField, images, { noiseLevels: spec.noiseLevels, seeds: spec.seeds })
  return { ...features, pair: { rms, dot, align }, ...(classifier ? { classifier: await classifier.oodFeatures(images) } : {}) }
}

/** The orientation check's features: the per-class score's features of each image's copy, per orientation in spec. */
export async function reorientedInputs(networks: OodNetworks, images: readonly Float32Array[], spec: OodFeatureSpec, modelId: string): Promise<Partial<Record<Orientation, OodFeatures>>> {
  const { orientations, shape, ...plain } = spec
  if (!orientations?.length || !shape) throw new EngineError('model-invalid', `OOD score ${ORIENT_SCORE} needs calibration.orientations and the model's image shape`)
  const { valueRange: _, ...base } = plain
  const copies: Partial<Record<Orientation, OodFeatures>> = {}
  for (const orientation of orientations) copies[orientation] = await scoreInputs(networks, images.map((image) => reoriented(image, orientation, shape)), base, CHECKED_BASE, modelId)
  return copies
}

const noValueRange = (score: string) =>
  `OOD score ${score} needs the value range of the model's inputs; a latent model's inputs are latents, which have no range to stretch to or background to centre on: pick another score`

/**
 * The range checks' features, into `features` (stretched, recentred): the per-class score's features of
 * each image's copy (contrast: stretched onto spec.valueRange; centring: moved to the centre, the range's
 * low end as background).
 */
export async function addRangeCheckInputs(features: OodFeatures, checks: readonly RangeCheck[], networks: OodNetworks, images: readonly Float32Array[], spec: OodFeatureSpec, modelId: string): Promise<void> {
  const { orientations: _, shape, valueRange, ...base } = spec
  for (const check of checks) {
    if (!valueRange || !shape) throw new EngineError('model-invalid', noValueRange(check === 'stretch' ? STRETCH_SCORE : CENTRE_SCORE))
    const parts = RANGE_CHECK_PARTS[check]
    features[parts.features] = await scoreInputs(networks, images.map((image) => parts.copy(image, shape, valueRange)), base, CHECKED_BASE, modelId)
  }
}

/** The features of `more` images after those of `into` (a calibration's batches), every part that both have. */
export function appendFeatures(into: OodFeatures, more: OodFeatures): OodFeatures {
  const out: OodFeatures = { rms: [...into.rms, ...more.rms], dot: [...into.dot, ...more.dot] }
  for (const key of ['align', 'condRms', 'cfgGap', 'classifier', 'alignClass'] as const) {
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

type ScoreCalibration = Pick<OodCalibration, 'score' | 'noiseLevels' | 'seeds' | 'mean' | 'precision' | 'classes' | 'classMeans' | 'orientations' | 'orientMargin' | 'stretchMargin' | 'centreMargin'>

/** What features a calibration's score reads; `format` (the model's image shape and value range) for the copy checks. */
export function featureSpec(calibration: ScoreCalibration, format?: ImageFormat): OodFeatureSpec {
  if (isCopyCheckScore(calibration.score)) {
    const shape = format?.shape
    // by default every copy, but turned ones only of square images
    const orientations = calibration.orientations ?? ORIENTATIONS.filter((o) => !shape || shape[1] === shape[2] || (o !== 'rot90' && o !== 'rot270'))
    const valueRange = rangeChecksOf(calibration.score).length && format?.valueRange ? { valueRange: format.valueRange } : {}
    return { ...featureSpec({ ...calibration, score: CHECKED_BASE }), orientations, ...(shape ? { shape } : {}), ...valueRange }
  }
  const levels = calibration.noiseLevels ?? [0]
  if (calibration.score === 'grad-rms' || calibration.score === 'dot') return { noiseLevels: [0], seeds: [] }
  if (calibration.score === 'mahalanobis-cond') {
    if (!calibration.classes) throw new EngineError('model-invalid', 'OOD score mahalanobis-cond needs calibration.classes (the number of classes)')
    return { noiseLevels: levels, seeds: calibration.seeds ?? [0], classes: calibration.classes }
  }
  if (calibration.score === 'mahalanobis-align-pair-class') {
    if (!calibration.classes || calibration.classes < 2) throw new EngineError('model-invalid', 'OOD score mahalanobis-align-pair-class needs calibration.classes (the number of classes, at least 2)')
    return { noiseLevels: levels, seeds: calibration.seeds ?? [0], alignClasses: calibration.classes }
  }
  return { noiseLevels: levels, seeds: calibration.seeds ?? [0] }
}

/** The score of each image from its features, as the calibration defines it. */
export function scoreFeatures(features: OodFeatures, calibration: ScoreCalibration): number[] {
  const kind = calibration.score as FieldScoreKind
  switch (kind) {
    case 'grad-rms':
      return features.rms.map((r) => r[0])
    case 'dot':
      return features.dot
    case 'grad-rms-noised':
      return features.rms.map((r) => r.reduce((a, b) => a + b, 0) / r.length)
    case 'mahalanobis':
    case 'mahalanobis-dot':
    case 'mahalanobis-cond':
    case 'mahalanobis-align':
    case 'mahalanobis-align-pair':
    case 'mahalanobis-align-pair-class':
    case 'mahalanobis-align-pair-classifier': {
      const { mean, precision } = calibration
      const vectors = mahalanobisVectors(features, kind)
      const n = vectors[0]?.length ?? 0
      if (!mean || !precision || mean.length !== n || precision.length !== n || precision.some((row) => row.length !== n)) {
        throw new EngineError('model-invalid', `OOD score ${kind} needs calibration.mean (${n}) and calibration.precision (${n}x${n}) matching noiseLevels${needsPair(kind) ? ' (both networks\' vectors)' : ''}`)
      }
      const meanOf = kind === 'mahalanobis-align-pair-class' ? classMeanOf(features, calibration, n) : () => mean
      return vectors.map((v, index) => {
        const centre = meanOf(index)
        const d = v.map((value, i) => value - centre[i])
        let total = 0
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) total += d[i] * precision[i][j] * d[j]
        return total
      })
    }
    case ORIENT_SCORE:
    case STRETCH_SCORE:
    case CENTRE_SCORE: {
      const { own, checks } = copyCheckScores(features, calibration)
      return withCopyChecks(own, checks)
    }
    default:
      throw new EngineError('model-invalid', `unknown OOD score "${calibration.score}" (known: ${OOD_SCORES.join(', ')})`)
  }
}

/**
 * The copy checks' parts: the base (per-class) scores of the images, and per check (orientation, then
 * the score's range checks in RANGE_CHECKS order) its copies' base scores and its margin. `unfitted`:
 * margins of 0, for the fit, which measures the excess before it knows the margins.
 */
function copyCheckScores(features: OodFeatures, calibration: ScoreCalibration, unfitted = false): { own: number[]; checks: (CopyCheck & { name: 'orientation' | RangeCheck })[] } {
  const { score } = calibration
  const orientations = calibration.orientations ?? []
  const marginOf = (name: 'orientMargin' | 'stretchMargin' | 'centreMargin') => {
    const margin = unfitted ? 0 : calibration[name]
    if (margin === undefined || !Number.isFinite(margin)) throw new EngineError('model-invalid', `OOD score ${score} needs calibration.${name}`)
    return margin
  }
  if (!orientations.length) throw new EngineError('model-invalid', `OOD score ${score} needs calibration.orientations (some of ${ORIENTATIONS.join(', ')})`)
  const base = { ...calibration, score: CHECKED_BASE }
  const scoreCopy = (copy: OodFeatures | undefined, what: string) => {
    if (!copy || copy.rms.length !== features.rms.length) throw new EngineError('model-invalid', `OOD score ${score} needs the features of each image's ${what}, one per image (${features.rms.length})`)
    return scoreFeatures(copy, base)
  }
  const orientation = { name: 'orientation' as const, copies: orientations.map((o) => scoreCopy(features.reoriented?.[o], `${o} copy (features.reoriented.${o})`)), margin: marginOf('orientMargin') }
  const ranged = rangeChecksOf(score).map((name) => {
    const parts = RANGE_CHECK_PARTS[name]
    return { name, copies: [scoreCopy(features[parts.features], `${parts.features} copy (features.${parts.features})`)], margin: marginOf(parts.margin) }
  })
  return { own: scoreFeatures(features, base), checks: [orientation, ...ranged] }
}

/** Each image's centre for the class score: the mean of the class the field found for it. */
function classMeanOf(features: OodFeatures, calibration: ScoreCalibration, n: number): (index: number) => number[] {
  const { alignClass } = features
  const { classMeans, classes } = calibration
  if (!classes || !classMeans || classMeans.length !== classes || classMeans.some((row) => row.length !== n)) {
    throw new EngineError('model-invalid', `OOD score mahalanobis-align-pair-class needs calibration.classMeans (${classes ?? 'classes'} rows of ${n}), one per class`)
  }
  if (!alignClass || alignClass.length !== features.rms.length || alignClass.some((c) => !Number.isInteger(c) || c < 0 || c >= classes)) {
    throw new EngineError('model-invalid', `OOD score mahalanobis-align-pair-class needs the feature alignClass (a class 0..${classes - 1}), one per image (${features.rms.length})`)
  }
  return (index) => classMeans[alignClass[index]]
}

type MahalanobisKind = 'mahalanobis' | 'mahalanobis-dot' | 'mahalanobis-cond' | 'mahalanobis-align' | 'mahalanobis-align-pair' | 'mahalanobis-align-pair-class' | 'mahalanobis-align-pair-classifier'
const MAHALANOBIS_KINDS: readonly string[] = [
  'mahalanobis',
  'mahalanobis-dot',
  'mahalanobis-cond',
  'mahalanobis-align',
  'mahalanobis-align-pair',
  'mahalanobis-align-pair-class',
  'mahalanobis-align-pair-classifier'
] satisfies MahalanobisKind[]
const isMahalanobis = (score: string): score is MahalanobisKind => MAHALANOBIS_KINDS.includes(score)

/** The vectors a Mahalanobis score measures, one per image (scoring and fitting share them). */
export function mahalanobisVectors(features: OodFeatures, kind: MahalanobisKind): number[][] {
  if (kind === 'mahalanobis-align-pair-classifier') {
    const { classifier } = features
    if (!classifier || classifier.length !== features.rms.length || classifier.some((row) => row.length !== CLASSIFIER_FEATURES.length)) {
      throw new EngineError('model-invalid', `OOD score ${kind} needs the classifier's features (${CLASSIFIER_FEATURES.join(', ')}), one row per image (${features.rms.length})`)
    }
    return mahalanobisVectors(features, 'mahalanobis-align-pair').map((v, i) => [...v, ...classifier[i]])
  }
  if (kind === 'mahalanobis-align-pair-class') return mahalanobisVectors(features, 'mahalanobis-align-pair')
  if (kind === 'mahalanobis-align-pair') {
    const { pair } = features
    if (!pair || pair.rms.length !== features.rms.length || pair.dot.length !== features.rms.length) {
      throw new EngineError('model-invalid', `OOD score mahalanobis-align-pair needs the generating network's features pair (rms, dot, align), one row per image (${features.rms.length})`)
    }
    const own = mahalanobisVectors(features, 'mahalanobis-align')
    const generating = mahalanobisVectors(pair, 'mahalanobis-align')
    return own.map((v, i) => [...v, ...generating[i]])
  }
  const withDot = kind !== 'mahalanobis'
  const cond = kind === 'mahalanobis-cond' ? conditionalOf(features) : undefined
  const align = kind === 'mahalanobis-align' ? alignOf(features) : undefined
  const log = (v: number) => Math.log(Math.max(v, 1e-12))
  return features.rms.map((r, i) => [...r.map(log), ...(withDot ? [features.dot[i]] : []), ...(cond ? [log(cond.condRms[i]), log(cond.cfgGap[i])] : []), ...(align ? align[i] : [])])
}

function alignOf(features: Pick<OodFeatures, 'rms' | 'align'>): number[][] {
  const { align } = features
  if (!align || align.length !== features.rms.length) throw new EngineError('model-invalid', `OOD score mahalanobis-align needs the feature align, one row per image (${features.rms.length})`)
  return align
}

function conditionalOf(features: OodFeatures): { condRms: number[]; cfgGap: number[] } {
  const { condRms, cfgGap } = features
  if (!condRms || !cfgGap || condRms.length !== features.rms.length || cfgGap.length !== features.rms.length) {
    throw new EngineError('model-invalid', `OOD score mahalanobis-cond needs the conditional features condRms and cfgGap, one per image (${features.rms.length})`)
  }
  return { condRms, cfgGap }
}

export async function oodScores(networks: OodNetworks, images: readonly Float32Array[], calibration: ScoreCalibration, modelId = 'this model', format?: ImageFormat): Promise<number[]> {
  return (await oodScoresExplained(networks, images, calibration, modelId, format)).scores
}

/**
 * The scores, and for the per-class score the class each image was measured against (alignClass);
 * undefined for an image whose class had too few calibration images for a mean of its own
 * (fitClassMeans gave it the overall mean), since it was then measured against no class at all.
 */
export async function oodScoresExplained(
  networks: OodNetworks,
  images: readonly Float32Array[],
  calibration: ScoreCalibration,
  modelId = 'this model',
  format?: ImageFormat
): Promise<{ scores: number[]; comparedWithClass?: (number | undefined)[]; orientation?: ({ copy: Orientation; raisedBy: number } | undefined)[]; contrast?: ({ raisedBy: number } | undefined)[]; centring?: ({ raisedBy: number } | undefined)[] }> {
  if (!OOD_SCORES.includes(calibration.score as FieldScoreKind)) {
    throw new EngineError('model-invalid', `unknown OOD score "${calibration.score}" (known: ${OOD_SCORES.join(', ')})`)
  }
  const features = await scoreInputs(networks, images, featureSpec(calibration, format), calibration.score, modelId)
  if (!isClassScore(calibration.score)) return { scores: scoreFeatures(features, calibration) }
  const { mean, classMeans } = calibration
  const hasOwnMean = (c: number) => classMeans![c].some((v, j) => v !== mean![j])
  const comparedWithClass = features.alignClass!.map((c) => (hasOwnMean(c) ? c : undefined))
  if (!isCopyCheckScore(calibration.score)) return { scores: scoreFeatures(features, calibration), comparedWithClass }
  // the copies scored once, for the scores and for what raised them
  const { own, checks } = copyCheckScores(features, calibration)
  const raisesOf = (name: RangeCheck) => {
    const check = checks.find((c) => c.name === name)
    return check && copyRaises(own, check.copies, [name], check.margin).map((raise) => raise && { raisedBy: raise.raisedBy })
  }
  const contrast = raisesOf('stretch')
  const centring = raisesOf('centre')
  return {
    scores: withCopyChecks(own, checks),
    comparedWithClass,
    orientation: copyRaises(own, checks[0].copies, calibration.orientations!, checks[0].margin),
    ...(contrast ? { contrast } : {}),
    ...(centring ? { centring } : {})
  }
}

/** Where a score falls among in-distribution scores, from the manifest's quantile table (linear between knots). */
export function percentileOf(score: number, quantiles: readonly (readonly [number, number])[]): number {
  const sorted = [...quantiles].sort((a, b) => a[1] - b[1])
  if (score <= sorted[0][1]) return sorted[0][0]
  const last = sorted[sorted.length - 1]
  if (score >= last[1]) return last[0]
  for (let i = 1; i < sorted.length; i++) {
    const [q0, v0] = sorted[i - 1]
    const [q1, v1] = sorted[i]
    if (score <= v1) return v1 === v0 ? q1 : q0 + ((score - v0) / (v1 - v0)) * (q1 - q0)
  }
  return last[0]
}

/** The quantile table's knots (the shipped model's, training/ood_eval.py). */
export const CALIBRATION_QUANTILES = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1] as const

/** Linear-interpolated quantile of sorted values (numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  const at = q * (sorted.length - 1)
  const low = Math.floor(at)
  const high = Math.min(sorted.length - 1, low + 1)
  return sorted[low] + (at - low) * (sorted[high] - sorted[low])
}

/**
 * A calibration of the given score kind fitted to in-distribution images' features: for the
 * Mahalanobis scores the Gaussian (mean, and the inverse of the covariance with a 1e-6 ridge, as
 * training/ood_eval.py fits it), then the scores' quantile table and the threshold that lets `tpr`
 * of them pass. The noise levels and seeds are the spec the features were computed with.
 */
export function fitOodCalibration(features: OodFeatures, base: { score: string; spec: OodFeatureSpec; tpr: number }): OodCalibration {
  if (isCopyCheckScore(base.score)) return fitWithCopyChecks(features, base)
  const count = features.rms.length
  if (count < 2) throw new EngineError('bad-request', `a calibration needs at least 2 images, got ${count}`)
  const calibration: OodCalibration = { score: base.score, quantiles: [[0, 0], [1, 0]], threshold: 0, tpr: base.tpr }
  if (base.score !== 'grad-rms' && base.score !== 'dot') {
    calibration.noiseLevels = [...base.spec.noiseLevels]
    calibration.seeds = [...base.spec.seeds]
  }
  if (base.spec.classes) calibration.classes = base.spec.classes
  if (base.spec.alignClasses) calibration.classes = base.spec.alignClasses
  if (isMahalanobis(base.score)) {
    const vectors = mahalanobisVectors(features, base.score)
    const n = vectors[0].length
    const mean = meanOf(vectors, n)
    let centres = vectors.map(() => mean)
    let fitted = 1
    if (base.score === 'mahalanobis-align-pair-class') {
      const classMeans = fitClassMeans(vectors, features.alignClass, base.spec.alignClasses ?? 0, mean)
      calibration.classMeans = classMeans.means
      centres = features.alignClass!.map((c) => classMeans.means[c])
      fitted = classMeans.fitted
    }
    // the scatter around each image's centre (one covariance shared by the classes for the class score)
    const covariance = Array.from({ length: n }, (_, a) =>
      Array.from({ length: n }, (_, b) => vectors.reduce((sum, v, i) => sum + (v[a] - centres[i][a]) * (v[b] - centres[i][b]), 0) / Math.max(count - fitted, 1) + (a === b ? 1e-6 : 0))
    )
    calibration.mean = mean
    calibration.precision = invert(covariance)
  }
  return withQuantiles(calibration, scoreFeatures(features, calibration), base.tpr)
}

/** The calibration with the quantile table of its images' scores and the threshold that lets `tpr` of them pass. */
function withQuantiles(calibration: OodCalibration, scores: number[], tpr: number): OodCalibration {
  const sorted = [...scores].sort((a, b) => a - b)
  calibration.quantiles = CALIBRATION_QUANTILES.map((q) => [q, quantile(sorted, q)] as [number, number])
  calibration.threshold = quantile(sorted, tpr)
  return calibration
}

/**
 * The copy checks' calibration: the per-class score's fit on the images themselves, then each check's
 * margin, the excess (log s(x) - log of its most typical copy's score) that `tpr` of the calibration
 * images stay under, so only an image whose copy looks more typical than almost any real image's
 * does is scaled up; then the quantiles of the combined score.
 */
function fitWithCopyChecks(features: OodFeatures, base: { score: string; spec: OodFeatureSpec; tpr: number }): OodCalibration {
  const orientations = base.spec.orientations
  if (!orientations?.length) throw new EngineError('model-invalid', `OOD score ${base.score} needs the orientations of the copies it compares (spec.orientations)`)
  const inner = fitOodCalibration(features, { ...base, score: CHECKED_BASE })
  const calibration: OodCalibration = { ...inner, score: base.score, orientations: [...orientations] }
  // the copies scored once, for the margins and for the combined scores
  const { own, checks } = copyCheckScores(features, calibration, true)
  const fitted = checks.map((check) => ({ ...check, margin: quantile(copyExcess(own, check.copies).sort((a, b) => a - b), base.tpr) }))
  for (const check of fitted) calibration[check.name === 'orientation' ? 'orientMargin' : RANGE_CHECK_PARTS[check.name].margin] = check.margin
  return withQuantiles(calibration, withCopyChecks(own, fitted), base.tpr)
}

function meanOf(vectors: readonly number[][], n: number): number[] {
  return Array.from({ length: n }, (_, j) => vectors.reduce((sum, v) => sum + v[j], 0) / vectors.length)
}

/** A class needs this many calibration images for a mean of its own; fewer, and it takes the overall mean. */
export const MIN_CLASS_IMAGES = 5

/**
 * The class score's centres: each class's mean over the calibration images the field put in it, or
 * the overall mean for a class with fewer than MIN_CLASS_IMAGES (a user's folder of shirts says
 * nothing about trousers, so an image the field calls a trouser is measured against the shirts).
 * `fitted`: how many means the scatter is measured around (the covariance's lost degrees of freedom).
 */
function fitClassMeans(vectors: readonly number[][], alignClass: readonly number[] | undefined, classes: number, overall: number[]): { means: number[][]; fitted: number } {
  if (!alignClass || alignClass.length !== vectors.length) throw new EngineError('model-invalid', 'OOD score mahalanobis-align-pair-class needs the feature alignClass, one per calibration image')
  const n = overall.length
  let fitted = 0
  let fellBack = false
  const means = Array.from({ length: classes }, (_, c) => {
    const members = vectors.filter((_, i) => alignClass[i] === c)
    if (members.length < MIN_CLASS_IMAGES) {
      fellBack ||= members.length > 0
      return [...overall]
    }
    fitted++
    return meanOf(members, n)
  })
  return { means, fitted: fitted + (fellBack ? 1 : 0) }
}

/** Gauss-Jordan inverse with partial pivoting (a covariance of a handful of features). */
function invert(matrix: number[][]): number[][] {
  const n = matrix.length
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))])
  for (let col = 0; col < n; col++) {
    let pivot = col
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r
    if (Math.abs(a[pivot][col]) < 1e-300) throw new EngineError('bad-request', 'the calibration images give a singular covariance: use more, and more varied, images')
    ;[a[col], a[pivot]] = [a[pivot], a[col]]
    const p = a[col][col]
    for (let j = 0; j < 2 * n; j++) a[col][j] /= p
    for (let r = 0; r < n; r++) {
      if (r === col) continue
      const f = a[r][col]
      if (f !== 0) for (let j = 0; j < 2 * n; j++) a[r][j] -= f * a[col][j]
    }
  }
  return a.map((row) => row.slice(n))
}
