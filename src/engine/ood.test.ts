import { describe, expect, it } from 'vitest'
import { mahalanobisVectors, oodScores, oodScoresExplained, percentileOf, scoreFeatures } from './ood'
import { oodFeatures, scoreInputs } from './ood-features'
import { fitOodCalibration } from './ood-fit'
import { AnalyticField, constantMean } from '../../test/support/analytic-field'

const SIZE = 16
const field = new AnalyticField([constantMean(SIZE, 0.5), constantMean(SIZE, 0)], 1, 5)

describe('OOD features and scores', () => {
  it('measures the gradient at the image and at seeded noised copies, batched across calls', async () => {
    const images = [constantMean(SIZE, 0), constantMean(SIZE, 0.8), constantMean(SIZE, -0.4)]
    const { rms, dot } = await oodFeatures(field, images, { noiseLevels: [0, 0.5], seeds: [1, 2] })
    // f(x, null) = x - 0: the RMS at level 0 is |x|, x.f/n = x^2
    expect(rms.map((r) => r[0])).toEqual([0, expect.closeTo(0.8, 6), expect.closeTo(0.4, 6)])
    expect(dot).toEqual([0, expect.closeTo(0.64, 6), expect.closeTo(0.16, 6)])
    // at level 0.5 the RMS is that of 0.5 x + 0.5 eps: the same noise for every image
    const again = await oodFeatures(field, images, { noiseLevels: [0, 0.5], seeds: [1, 2] })
    expect(again.rms).toEqual(rms)
    expect(rms[0][1]).toBeGreaterThan(0.2)
    expect(field.calls).toBeGreaterThan(1) // 3 images x 3 variants = 9 rows, 5 a call
  })

  it('scores: rms, mean over levels, dot, and a Mahalanobis distance in log space', async () => {
    const features = { rms: [[1, 4], [Math.E, Math.E]], dot: [0.5, -1] }
    expect(scoreFeatures(features, { score: 'grad-rms' })).toEqual([1, Math.E])
    expect(scoreFeatures(features, { score: 'grad-rms-noised', noiseLevels: [0, 0.5] })).toEqual([2.5, Math.E])
    expect(scoreFeatures(features, { score: 'dot' })).toEqual([0.5, -1])
    const m = scoreFeatures(features, { score: 'mahalanobis', noiseLevels: [0, 0.5], mean: [1, 1], precision: [[1, 0], [0, 2]] })
    expect(m[0]).toBeCloseTo(1 + 2 * (Math.log(4) - 1) ** 2)
    expect(m[1]).toBeCloseTo(0)
    expect(() => scoreFeatures(features, { score: 'mahalanobis', mean: [1], precision: [[1]] })).toThrow(/precision/)
    const withDot = scoreFeatures(features, { score: 'mahalanobis-dot', noiseLevels: [0, 0.5], mean: [1, 1, 0.5], precision: [[1, 0, 0], [0, 1, 0], [0, 0, 4]] })
    expect(withDot[0]).toBeCloseTo(1 + (Math.log(4) - 1) ** 2)
    expect(withDot[1]).toBeCloseTo(4 * 1.5 ** 2)
    await expect(oodScores({ field }, [constantMean(SIZE, 0)], { score: 'energy-magic' })).rejects.toThrow(/unknown OOD score/)
  })

  it('conditional features: the smallest class-conditional gradient and what that class changes, scored by mahalanobis-cond', async () => {
    // classes 0 (mean 0.5) and 1 (mean -0.2), null class 2 (mean 0); 3 rows an image, 5 rows a call: one image a call
    const classField = new AnalyticField([constantMean(SIZE, 0.5), constantMean(SIZE, -0.2), constantMean(SIZE, 0)], 2, 5)
    const images = [constantMean(SIZE, 0.4), constantMean(SIZE, -0.8)]
    const features = await oodFeatures(classField, images, { noiseLevels: [0], seeds: [], classes: 2 })
    // f(x, c) = x - mu_c: image 0.4 is nearest class 0 (0.1), which moves the field by 0.5; image -0.8 nearest class 1 (0.6), by 0.2
    expect(features.condRms).toEqual([expect.closeTo(0.1, 6), expect.closeTo(0.6, 6)])
    expect(features.cfgGap).toEqual([expect.closeTo(0.5, 6), expect.closeTo(0.2, 6)])
    const calibration = { score: 'mahalanobis-cond', noiseLevels: [0], seeds: [], classes: 2, mean: [0, 0, 0, 0], precision: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] }
    const scores = scoreFeatures(features, calibration)
    expect(scores[0]).toBeCloseTo(Math.log(0.1) ** 2 + Math.log(0.5) ** 2, 4)
    expect(await oodScores({ field: classField }, images, calibration)).toEqual(scores)
    expect(() => scoreFeatures({ rms: features.rms, dot: features.dot }, calibration)).toThrow(/condRms/)
    await expect(oodScores({ field: classField }, images, { ...calibration, classes: undefined })).rejects.toThrow(/classes/)
  })

  it('align: the cosine of the field at a noised image with (noise - image), scored by mahalanobis-align', async () => {
    // f(x, null) = x - 0 at x_l = (1 - l) x + l eps: cos(x_l, eps - x); for x = 0 that is cos(l eps, eps) = 1
    const images = [constantMean(SIZE, 0), constantMean(SIZE, 0.8)]
    const features = await oodFeatures(field, images, { noiseLevels: [0, 0.5], seeds: [1, 2] })
    expect(features.align!.map((a) => a.length)).toEqual([1, 1])
    expect(features.align![0][0]).toBeCloseTo(1, 6)
    expect(features.align![1][0]).toBeLessThan(0.9)
    const calibration = { score: 'mahalanobis-align', noiseLevels: [0, 0.5], seeds: [1, 2], mean: [0, 0, 0, 1], precision: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]] }
    const scores = scoreFeatures(features, calibration)
    expect(scores[0]).toBeCloseTo(0, 6)
    expect(scores[1]).toBeCloseTo((features.align![1][0] - 1) ** 2, 6)
    expect(() => scoreFeatures({ rms: features.rms, dot: features.dot }, calibration)).toThrow(/align/)
  })

  it('align-pair: the OOD network\'s align vector then the generating network\'s, same images, levels and seeds; refused with one network', async () => {
    // the OOD network pulls towards 0, the generating one towards 0.3: their vectors differ
    const generating = new AnalyticField([constantMean(SIZE, 0.3)], 0, 5)
    let loads = 0
    const networks = { field, generatingField: async () => (loads++, generating) }
    const images = [constantMean(SIZE, 0), constantMean(SIZE, 0.8), constantMean(SIZE, -0.4)]
    const spec = { noiseLevels: [0, 0.5], seeds: [1, 2] }
    // other kinds never load the generating network
    expect((await scoreInputs(networks, images, spec, 'mahalanobis-align', 'm')).pair).toBeUndefined()
    expect(loads).toBe(0)
    const features = await scoreInputs(networks, images, spec, 'mahalanobis-align-pair', 'm')
    const own = await oodFeatures(field, images, spec)
    const other = await oodFeatures(generating, images, spec)
    expect(features).toMatchObject({ rms: own.rms, dot: own.dot, align: own.align })
    expect(features.pair).toEqual({ rms: other.rms, dot: other.dot, align: other.align })
    expect(other.rms).not.toEqual(own.rms)
    const vectors = mahalanobisVectors(features, 'mahalanobis-align-pair')
    const alignOwn = mahalanobisVectors(own, 'mahalanobis-align')
    const alignOther = mahalanobisVectors(other, 'mahalanobis-align')
    expect(vectors).toEqual(alignOwn.map((v, i) => [...v, ...alignOther[i]]))
    expect(vectors[0]).toHaveLength(8)
    // identity precision, zero mean: the sum of squares of both halves
    const identity = Array.from({ length: 8 }, (_, a) => Array.from({ length: 8 }, (_, b) => (a === b ? 1 : 0)))
    const calibration = { score: 'mahalanobis-align-pair', ...spec, mean: new Array<number>(8).fill(0), precision: identity }
    const scores = scoreFeatures(features, calibration)
    vectors.forEach((v, i) => expect(scores[i]).toBeCloseTo(v.reduce((sum, x) => sum + x * x, 0), 9))
    expect(await oodScores(networks, images, calibration, 'm')).toEqual(scores)
    // the align vector's Gaussian (4 numbers) does not fit the pair's vector
    expect(() => scoreFeatures(features, { ...calibration, mean: [0, 0, 0, 0], precision: identity.slice(0, 4).map((r) => r.slice(0, 4)) })).toThrow(/both networks/)
    expect(() => scoreFeatures(own, calibration)).toThrow(/generating network's features pair/)
    await expect(oodScores({ field }, images, calibration, 'm')).rejects.toThrow(/m: OOD score mahalanobis-align-pair .* no files.ood/)
    await expect(scoreInputs({ field }, images, spec, 'mahalanobis-align-pair', 'm')).rejects.toThrow(/files.ood/)
    // fitting: one Gaussian over the concatenation, twice the align vector's size
    const many = Array.from({ length: 12 }, (_, i) => constantMean(SIZE, -0.6 + 0.11 * i))
    const fitted = fitOodCalibration(await scoreInputs(networks, many, spec, 'mahalanobis-align-pair', 'm'), { score: 'mahalanobis-align-pair', spec, tpr: 0.9 })
    expect(fitted.mean).toHaveLength(8)
    expect(fitted.precision).toHaveLength(8)
  })

  it('align-pair-class: finds each image\'s class with the field itself and measures the pair vector against that class\'s mean', async () => {
    // classes 0 (mean 0.5) and 1 (mean -0.5), null class 2: f(x_l, c) = x_l - mu_c is exactly l (eps - x) for x = mu_c
    const classField = new AnalyticField([constantMean(SIZE, 0.5), constantMean(SIZE, -0.5), constantMean(SIZE, 0)], 2, 7)
    const generating = new AnalyticField([constantMean(SIZE, 0.3), constantMean(SIZE, -0.3), constantMean(SIZE, 0.1)], 2, 7)
    const networks = { field: classField, generatingField: async () => generating }
    const spec = { noiseLevels: [0, 0.2, 0.5], seeds: [1, 2], alignClasses: 2 }
    const images = [0.45, -0.55, 0.6, -0.4].map((v) => constantMean(SIZE, v))
    const rowsBefore = classField.rowsEvaluated
    const features = await scoreInputs(networks, images, spec, 'mahalanobis-align-pair-class', 'm')
    expect(features.alignClass).toEqual([0, 1, 0, 1])
    // the class search costs classes x seeds rows an image on the OOD network, beside its 1 + 2 x 2 feature rows
    expect(classField.rowsEvaluated - rowsBefore).toBe(images.length * (5 + 2 * 2))
    expect(features.pair?.rms).toHaveLength(4)
    // the pair vector is the score's vector; the centre is the found class's mean
    const vectors = mahalanobisVectors(features, 'mahalanobis-align-pair-class')
    expect(vectors).toEqual(mahalanobisVectors(features, 'mahalanobis-align-pair'))
    const n = vectors[0].length
    const identity = Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => (a === b ? 1 : 0)))
    const calibration = { score: 'mahalanobis-align-pair-class', noiseLevels: spec.noiseLevels, seeds: spec.seeds, classes: 2, mean: new Array<number>(n).fill(0), precision: identity, classMeans: [vectors[0], vectors[1]] }
    const scores = scoreFeatures(features, calibration)
    expect(scores[0]).toBeCloseTo(0, 12)
    expect(scores[1]).toBeCloseTo(0, 12)
    expect(scores[2]).toBeCloseTo(vectors[2].reduce((sum, x, i) => sum + (x - vectors[0][i]) ** 2, 0), 9)
    expect(await oodScores(networks, images, calibration, 'm')).toEqual(scores)
    // the class is reported where it had a mean of its own; a class that took the overall mean was measured against no class
    expect((await oodScoresExplained(networks, images, calibration, 'm')).comparedWithClass).toEqual([0, 1, 0, 1])
    const fellBack = { ...calibration, classMeans: [vectors[0], new Array<number>(n).fill(0)] }
    expect((await oodScoresExplained(networks, images, fellBack, 'm')).comparedWithClass).toEqual([0, undefined, 0, undefined])
    // what it needs, named
    expect(() => scoreFeatures({ ...features, alignClass: undefined }, calibration)).toThrow(/alignClass/)
    expect(() => scoreFeatures({ ...features, alignClass: [0, 1, 2, 0] }, calibration)).toThrow(/alignClass \(a class 0..1\)/)
    expect(() => scoreFeatures(features, { ...calibration, classMeans: [vectors[0]] })).toThrow(/classMeans \(2 rows/)
    await expect(oodScores(networks, images, { ...calibration, classes: undefined }, 'm')).rejects.toThrow(/classes/)
    await expect(oodScores({ field: classField }, images, calibration, 'm')).rejects.toThrow(/no files.ood/)
    await expect(oodScores(networks, images, { ...calibration, noiseLevels: [0] }, 'm')).rejects.toThrow(/noise level above 0/)
    // a field that returns NaN: the network's failure, named
    const broken = { ...networks, field: { sampleSize: SIZE, nullClass: 2, maxBatchRows: 7, evaluate: async (_x: Float32Array, _labels: Int32Array, rows: number) => new Float32Array(rows * SIZE).fill(Number.NaN) } }
    await expect(oodScores(broken, images, calibration, 'm')).rejects.toThrow(/not finite at a noised copy of image 1/)
  })

  it('align-pair-class fit: a mean per class, one covariance of the scatter around the class means, the overall mean for a sparse class', () => {
    // 2-number vectors straight from features: rms (log) and nothing else would do, so build pair features by hand
    const rng = (i: number) => Math.sin(i * 12.9898) * 0.5
    const classOf = Array.from({ length: 40 }, (_, i) => (i < 3 ? 2 : i % 2))
    const centre = [[1, 0], [-1, 2], [5, 5]]
    const vectorsWanted = classOf.map((c, i) => [centre[c][0] + rng(i), centre[c][1] + rng(i + 100)])
    // the pair score's vector per network is (log rms over levels, dot, align over levels > 0): levels [0.5] give 1 + 1 + 1
    const half = (v: number[]) => ({ rms: [[Math.exp(v[0])]], dot: [v[1]], align: [[0]] })
    const rows = vectorsWanted.map(half)
    const features = {
      rms: rows.map((r) => r.rms[0]),
      dot: rows.map((r) => r.dot[0]),
      align: rows.map((r) => r.align[0]),
      pair: { rms: rows.map(() => [1]), dot: rows.map(() => 0), align: rows.map(() => [0]) },
      alignClass: classOf
    }
    const fitted = fitOodCalibration(features, { score: 'mahalanobis-align-pair-class', spec: { noiseLevels: [0.5], seeds: [1], alignClasses: 3 }, tpr: 0.95 })
    const vectors = mahalanobisVectors(features, 'mahalanobis-align-pair-class')
    const meanOf = (rowsOf: number[][]) => rowsOf[0].map((_, j) => rowsOf.reduce((sum, r) => sum + r[j], 0) / rowsOf.length)
    expect(fitted.classes).toBe(3)
    const overall = meanOf(vectors)
    const classMean = [0, 1].map((c) => meanOf(vectors.filter((_, i) => classOf[i] === c)))
    fitted.classMeans![0].forEach((v, j) => expect(v).toBeCloseTo(classMean[0][j], 10))
    fitted.classMeans![1].forEach((v, j) => expect(v).toBeCloseTo(classMean[1][j], 10))
    // class 2 has 3 images (fewer than 5): the overall mean, and its images are scattered around it
    fitted.classMeans![2].forEach((v, j) => expect(v).toBeCloseTo(overall[j], 10))
    const centres = classOf.map((c) => (c === 2 ? overall : classMean[c]))
    // the covariance of the first two numbers (the others are constant: the 1e-6 ridge keeps them invertible)
    const cov = [0, 1].map((a) => [0, 1].map((b) => vectors.reduce((sum, v, i) => sum + (v[a] - centres[i][a]) * (v[b] - centres[i][b]), 0) / (vectors.length - 3)))
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 2; b++) expect(cov[a][0] * fitted.precision![0][b] + cov[a][1] * fitted.precision![1][b]).toBeCloseTo(a === b ? 1 : 0, 4)
    // within-class scatter is far tighter than the spread of all images: the class score is not one Gaussian's
    const single = fitOodCalibration(features, { score: 'mahalanobis-align-pair', spec: { noiseLevels: [0.5], seeds: [1] }, tpr: 0.95 })
    expect(fitted.precision![0][0]).toBeGreaterThan(3 * single.precision![0][0])
    expect(() => fitOodCalibration({ ...features, alignClass: undefined }, { score: 'mahalanobis-align-pair-class', spec: { noiseLevels: [0.5], seeds: [1], alignClasses: 3 }, tpr: 0.95 })).toThrow(/alignClass/)
  })

  it('places a score among the calibration quantiles', () => {
    const q: [number, number][] = [[0, 1], [0.5, 2], [0.95, 4], [1, 10]]
    expect(percentileOf(0.5, q)).toBe(0)
    expect(percentileOf(3, q)).toBeCloseTo(0.725)
    expect(percentileOf(20, q)).toBe(1)
  })
})

describe('fitting a calibration (eqm calibrate)', () => {
  it('takes the quantile table and the threshold at the TPR from the scores (numpy linear quantiles)', async () => {
    const { fitOodCalibration } = await import('./ood-fit')
    const features = { rms: [[3], [1], [5], [2], [4]], dot: [0, 0, 0, 0, 0] }
    const fitted = fitOodCalibration(features, { score: 'grad-rms', spec: { noiseLevels: [0], seeds: [] }, tpr: 0.95 })
    expect(fitted.threshold).toBeCloseTo(4.8, 10)
    expect(fitted.quantiles.find(([q]) => q === 0.5)![1]).toBe(3)
    expect(fitted.noiseLevels).toBeUndefined()
  })

  it('fits the Gaussian of the Mahalanobis scores: precision is the inverse covariance', async () => {
    const { fitOodCalibration } = await import('./ood-fit')
    const rms = [[1, 2], [2, 1], [3, 5], [4, 3], [2, 2], [5, 4]].map((r) => r.map(Math.exp))
    const fitted = fitOodCalibration({ rms, dot: rms.map(() => 0) }, { score: 'mahalanobis', spec: { noiseLevels: [0, 0.5], seeds: [1] }, tpr: 0.9 })
    const v = rms.map((r) => r.map(Math.log))
    const mean = [0, 1].map((j) => v.reduce((s, r) => s + r[j], 0) / v.length)
    const cov = [0, 1].map((a) => [0, 1].map((b) => v.reduce((s, r) => s + (r[a] - mean[a]) * (r[b] - mean[b]), 0) / (v.length - 1)))
    expect(fitted.mean![0]).toBeCloseTo(mean[0], 10)
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 2; b++) expect(cov[a][0] * fitted.precision![0][b] + cov[a][1] * fitted.precision![1][b]).toBeCloseTo(a === b ? 1 : 0, 5)
    expect(fitted).toMatchObject({ noiseLevels: [0, 0.5], seeds: [1], tpr: 0.9 })
  })
})
