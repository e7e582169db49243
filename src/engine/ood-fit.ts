import type { OodCalibration } from '../shared/manifest'
import { EngineError } from './errors'
import { copyExcess, withCopyChecks } from './ood-copies'
import { CHECKED_BASE, RANGE_CHECK_PARTS, isCopyCheckScore, isMahalanobis, type OodFeatureSpec, type OodFeatures } from './ood-kinds'
import { copyCheckScores, mahalanobisVectors, scoreFeatures } from './ood'

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
