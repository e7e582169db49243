import { OOD_SCORE, type OodScoreKind } from '../shared/settings'
import { recentred, stretched, type Orientation } from './ood-copies'

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
export type FieldScoreKind = (typeof OOD_SCORES)[number]

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
/** The score the copy checks scale up. */
export const CHECKED_BASE = 'mahalanobis-align-pair-class'
/** The checks beside the orientation check that each copy-check score makes, in order; both need the inputs' value range. */
export type RangeCheck = 'stretch' | 'centre'
const RANGE_CHECKS: Record<string, readonly RangeCheck[]> = { [ORIENT_SCORE]: [], [STRETCH_SCORE]: ['stretch'], [CENTRE_SCORE]: ['stretch', 'centre'] }
/** Each range check's copy of an image, where its copies' features live, and its margin's calibration field. */
export const RANGE_CHECK_PARTS: Record<RangeCheck, { copy: (image: Float32Array, shape: readonly [number, number, number], valueRange: readonly [number, number]) => Float32Array; features: 'stretched' | 'recentred'; margin: 'stretchMargin' | 'centreMargin' }> = {
  stretch: { copy: (image, _, valueRange) => stretched(image, valueRange), features: 'stretched', margin: 'stretchMargin' },
  centre: { copy: (image, shape, valueRange) => recentred(image, shape, valueRange[0]), features: 'recentred', margin: 'centreMargin' }
}
/** The scores that compare an image with copies of it (ood-copies.ts). */
export const isCopyCheckScore = (score: string): boolean => score in RANGE_CHECKS
export const rangeChecksOf = (score: string): readonly RangeCheck[] => RANGE_CHECKS[score] ?? []
/** The score kinds that also read the model's classifier (files.classifier). */
export const needsClassifier = (score: string): boolean => score === 'mahalanobis-align-pair-classifier'

export type MahalanobisKind = 'mahalanobis' | 'mahalanobis-dot' | 'mahalanobis-cond' | 'mahalanobis-align' | 'mahalanobis-align-pair' | 'mahalanobis-align-pair-class' | 'mahalanobis-align-pair-classifier'
const MAHALANOBIS_KINDS: readonly string[] = [
  'mahalanobis',
  'mahalanobis-dot',
  'mahalanobis-cond',
  'mahalanobis-align',
  'mahalanobis-align-pair',
  'mahalanobis-align-pair-class',
  'mahalanobis-align-pair-classifier'
] satisfies MahalanobisKind[]
export const isMahalanobis = (score: string): score is MahalanobisKind => MAHALANOBIS_KINDS.includes(score)
