import type { OodCalibration } from '../shared/manifest'
import { EngineError } from './errors'
import { ORIENTATIONS, copyRaises, withCopyChecks, type CopyCheck, type Orientation } from './ood-copies'
import {
  CENTRE_SCORE,
  CHECKED_BASE,
  CLASSIFIER_FEATURES,
  OOD_SCORES,
  ORIENT_SCORE,
  RANGE_CHECK_PARTS,
  STRETCH_SCORE,
  isClassScore,
  isCopyCheckScore,
  needsPair,
  rangeChecksOf,
  type FieldScoreKind,
  type ImageFormat,
  type MahalanobisKind,
  type OodFeatureSpec,
  type OodFeatures,
  type RangeCheck
} from './ood-kinds'
import { scoreInputs, type OodNetworks } from './ood-features'

/*
 * Out-of-distribution scoring: each image's score from its features as a calibration defines it
 * (ood-kinds.ts lists the scores, ood-features.ts computes the features, ood-fit.ts fits calibrations).
 */


export type ScoreCalibration = Pick<OodCalibration, 'score' | 'noiseLevels' | 'seeds' | 'mean' | 'precision' | 'classes' | 'classMeans' | 'orientations' | 'orientMargin' | 'stretchMargin' | 'centreMargin'>

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
export function copyCheckScores(features: OodFeatures, calibration: ScoreCalibration, unfitted = false): { own: number[]; checks: (CopyCheck & { name: 'orientation' | RangeCheck })[] } {
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
