import { describe, expect, it } from 'vitest'
import { copyExcess, copyRaises, recentred, reoriented, stretched, withCopyChecks } from './ood-copies'
import { featureSpec, oodScores, oodScoresExplained, scoreFeatures } from './ood'
import { addRangeCheckInputs, reorientedInputs, scoreInputs } from './ood-features'
import { fitOodCalibration } from './ood-fit'
import { CENTRE_SCORE, ORIENT_SCORE, STRETCH_SCORE } from './ood-kinds'
import { AnalyticField } from '../../test/support/analytic-field'

const grid = (h: number, w: number, c = 1) => Float32Array.from({ length: c * h * w }, (_, i) => i)

describe('the copies and their checks', () => {
  it('flips and turns as numpy does on the last two axes, channel by channel', () => {
    const wide = grid(2, 3)
    expect(Array.from(reoriented(wide, 'hflip', [1, 2, 3]))).toEqual([2, 1, 0, 5, 4, 3])
    expect(Array.from(reoriented(wide, 'vflip', [1, 2, 3]))).toEqual([3, 4, 5, 0, 1, 2])
    expect(Array.from(reoriented(wide, 'rot180', [1, 2, 3]))).toEqual([5, 4, 3, 2, 1, 0])
    const square = grid(3, 3)
    // np.rot90(a, 1) and np.rot90(a, 3) of [[0,1,2],[3,4,5],[6,7,8]]
    expect(Array.from(reoriented(square, 'rot90', [1, 3, 3]))).toEqual([2, 5, 8, 1, 4, 7, 0, 3, 6])
    expect(Array.from(reoriented(square, 'rot270', [1, 3, 3]))).toEqual([6, 3, 0, 7, 4, 1, 8, 5, 2])
    expect(Array.from(reoriented(grid(2, 3, 2), 'hflip', [2, 2, 3]))).toEqual([2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9])
    expect(() => reoriented(wide, 'rot90', [1, 2, 3])).toThrow(/square images; this model's are 2x3/)
    expect(() => reoriented(wide, 'hflip', [1, 3, 3])).toThrow(/not of shape 1x3x3/)
  })

  it('stretches an image onto the value range, and leaves full-range and flat images alone', () => {
    // a dimmed image in [-1, 1]: values -1..0 become -1..1
    expect(Array.from(stretched(Float32Array.from([-1, -0.5, 0]), [-1, 1]))).toEqual([-1, 0, 1])
    // a washed-out one (no black): 0.2..0.6 in [0, 1] becomes 0..1
    expect(Array.from(stretched(Float32Array.from([0.2, 0.4, 0.6]), [0, 1])).map((v) => Number(v.toFixed(6)))).toEqual([0, 0.5, 1])
    expect(Array.from(stretched(Float32Array.from([-1, 0.3, 1]), [-1, 1]))).toEqual([-1, expect.closeTo(0.3, 6), 1])
    expect(Array.from(stretched(Float32Array.from([0.25, 0.25, 0.2500001]), [-1, 1]))).toEqual([0.25, 0.25, expect.closeTo(0.2500001, 7)])
    expect(() => stretched(Float32Array.from([0, Number.NaN]), [-1, 1])).toThrow(/not finite/)
  })

  it('moves an image so its content sits mid-frame, by whole pixels, background filling in', () => {
    // one bright pixel at (0, 0) of a 1x3x3 image on background -1: centroid (0, 0) -> moved by (1, 1)
    const corner = Float32Array.from([1, -1, -1, -1, -1, -1, -1, -1, -1])
    expect(Array.from(recentred(corner, [1, 3, 3], -1))).toEqual([-1, -1, -1, -1, 1, -1, -1, -1, -1])
    // content at the right edge of a 1x2x4 image moves left; what was left of it falls off the frame
    const right = Float32Array.from([-1, -1, 0, 1, -1, -1, 0, 1])
    expect(Array.from(recentred(right, [1, 2, 4], -1))).toEqual([-1, 0, 1, -1, -1, 0, 1, -1])
    // already centred, and all background: unchanged; two channels move together
    expect(Array.from(recentred(Float32Array.from([-1, 1, -1]), [1, 1, 3], -1))).toEqual([-1, 1, -1])
    expect(Array.from(recentred(new Float32Array(4).fill(-1), [1, 2, 2], -1))).toEqual([-1, -1, -1, -1])
    expect(Array.from(recentred(Float32Array.from([1, -1, -1, 0.5, -1, -1]), [2, 1, 3], -1))).toEqual([-1, 1, -1, -1, 0.5, -1])
    expect(() => recentred(corner, [1, 2, 2], -1)).toThrow(/not of shape/)
    expect(() => recentred(Float32Array.from([Number.NaN]), [1, 1, 1], -1)).toThrow(/not finite/)
  })

  it('raises a score only by what its most typical copy beats it by beyond the margin, check by check', () => {
    // copies' scores 10 (no better), 1 (10x better), 5 (2x better); margin log 4
    expect(copyExcess([10, 10, 10], [[10, 1, 5]])).toEqual([0, expect.closeTo(Math.log(10), 12), expect.closeTo(Math.log(2), 12)])
    const scores = withCopyChecks([10, 10, 10], [{ copies: [[12, 1, 5], [10, 30, 50]], margin: Math.log(4) }])
    expect(scores[0]).toBe(10)
    expect(scores[1]).toBeCloseTo(25, 10)
    expect(scores[2]).toBe(10)
    // a second check multiplies its own raise in: image 3's copy there is 8x better, margin log 2 -> x4
    const both = withCopyChecks([10, 10, 10], [{ copies: [[12, 1, 5]], margin: Math.log(4) }, { copies: [[10, 10, 1.25]], margin: Math.log(2) }])
    expect(both[1]).toBeCloseTo(25, 10)
    expect(both[2]).toBeCloseTo(40, 10)
    expect(() => copyExcess([Number.NaN], [[1]])).toThrow(/not finite/)
    // which copy did it, and by how much: only where the score was raised
    const raises = copyRaises([10, 10, 10], [[12, 1, 5], [10, 30, 50]], ['vflip', 'rot180'], Math.log(4))
    expect(raises[0]).toBeUndefined()
    expect(raises[1]).toEqual({ copy: 'vflip', raisedBy: expect.closeTo(2.5, 10) })
    expect(raises[2]).toBeUndefined()
  })
})

describe('mahalanobis-align-pair-class-orient', () => {
  // 1x4x4 images; class 0's minimum is a left-to-right ramp, class 1's a top-to-bottom one, null class 2 flat
  const shape = [1, 4, 4] as const
  const ramp = (amplitude: number, vertical: boolean) => Float32Array.from({ length: 16 }, (_, i) => amplitude * (vertical ? Math.floor(i / 4) : i % 4))
  const field = new AnalyticField([ramp(0.2, false), ramp(0.2, true), new Float32Array(16)], 2, 64)
  const generating = new AnalyticField([ramp(0.15, false), ramp(0.15, true), new Float32Array(16).fill(0.1)], 2, 64)
  const networks = { field, generatingField: async () => generating }
  const base = { score: ORIENT_SCORE, noiseLevels: [0, 0.3], seeds: [1], classes: 2, orientations: ['hflip', 'vflip', 'rot180'] as ('hflip' | 'vflip' | 'rot180')[] }
  const format = { shape, valueRange: [-1, 1] as const }
  const spec = featureSpec(base, format)
  const calibrationImages = [0.17, 0.18, 0.19, 0.2, 0.21, 0.22, 0.23, 0.24].flatMap((a) => [ramp(a, false), ramp(a, true)])

  it('computes every copy\'s features, fits the margin on the calibration images, and scores a flipped image up', async () => {
    const features = await scoreInputs(networks, calibrationImages, spec, ORIENT_SCORE, 'm')
    expect(Object.keys(features.reoriented!)).toEqual(['hflip', 'vflip', 'rot180'])
    expect(features.reoriented!.hflip!.alignClass).toHaveLength(calibrationImages.length)
    const calibration = fitOodCalibration(features, { score: ORIENT_SCORE, spec, tpr: 0.9 })
    expect(calibration.orientations).toEqual(['hflip', 'vflip', 'rot180'])
    expect(Number.isFinite(calibration.orientMargin)).toBe(true)
    // the margin is the excess 90% of the calibration images stay under: at most 10% of them are raised
    const perClass = scoreFeatures(features, { ...calibration, score: 'mahalanobis-align-pair-class' })
    const combined = scoreFeatures(features, calibration)
    expect(combined.filter((s, i) => s > perClass[i]).length).toBeLessThanOrEqual(calibrationImages.length * 0.1)

    const upright = ramp(0.205, false)
    const flipped = reoriented(upright, 'hflip', shape)
    const [uprightScore, flippedScore] = await oodScores(networks, [upright, flipped], calibration, 'm', format)
    const [uprightBase, flippedBase] = await oodScores(networks, [upright, flipped], { ...calibration, score: 'mahalanobis-align-pair-class' }, 'm', format)
    expect(uprightScore).toBeCloseTo(uprightBase, 10)
    // its hflip copy is the upright ramp, far more typical than the flipped image itself
    expect(flippedScore).toBeGreaterThan(flippedBase * 10)
    expect(flippedScore).toBeGreaterThan(calibration.threshold)
    const explained = await oodScoresExplained(networks, [upright, flipped], calibration, 'm', format)
    expect(explained.comparedWithClass?.[0]).toBe(0)
    // the result says why the flipped one rose: its left-to-right copy, by the factor applied
    expect(explained.orientation?.[0]).toBeUndefined()
    expect(explained.orientation?.[1]).toEqual({ copy: 'hflip', raisedBy: expect.closeTo(flippedScore / flippedBase, 6) })
  })

  it('names what it lacks', async () => {
    await expect(oodScores(networks, [ramp(0.2, false)], { ...base, mean: [0], precision: [[1]] }, 'm')).rejects.toThrow(/image shape/)
    const features = await scoreInputs(networks, calibrationImages, spec, ORIENT_SCORE, 'm')
    const calibration = fitOodCalibration(features, { score: ORIENT_SCORE, spec, tpr: 0.9 })
    expect(() => scoreFeatures({ ...features, reoriented: { hflip: features.reoriented!.hflip } }, calibration)).toThrow(/vflip copy/)
    expect(() => scoreFeatures(features, { ...calibration, orientMargin: undefined })).toThrow(/orientMargin/)
    expect(featureSpec({ score: ORIENT_SCORE, noiseLevels: [0, 0.3], seeds: [1], classes: 2 }, { shape: [1, 4, 6], valueRange: [-1, 1] }).orientations).toEqual(['hflip', 'vflip', 'rot180'])
  })
})

describe('mahalanobis-align-pair-class-orient-stretch', () => {
  // the same ramps; this model's value range [0, 0.6] is what a ramp of amplitude 0.2 spans, so real
  // images (amplitudes 0.17-0.24) stretch to about themselves, and a dimmed one stretches back
  const shape = [1, 4, 4] as const
  const format = { shape, valueRange: [0, 0.6] as const }
  const ramp = (amplitude: number, vertical: boolean) => Float32Array.from({ length: 16 }, (_, i) => amplitude * (vertical ? Math.floor(i / 4) : i % 4))
  const field = new AnalyticField([ramp(0.2, false), ramp(0.2, true), new Float32Array(16)], 2, 64)
  const generating = new AnalyticField([ramp(0.15, false), ramp(0.15, true), new Float32Array(16).fill(0.1)], 2, 64)
  const networks = { field, generatingField: async () => generating }
  const base = { score: STRETCH_SCORE, noiseLevels: [0, 0.3], seeds: [1], classes: 2, orientations: ['hflip', 'vflip'] as ('hflip' | 'vflip')[] }
  const spec = featureSpec(base, format)
  const calibrationImages = [0.17, 0.18, 0.19, 0.2, 0.21, 0.22, 0.23, 0.24].flatMap((a) => [ramp(a, false), ramp(a, true)])

  it('fits a margin per check and scores a dimmed image up, saying the contrast check did it', async () => {
    expect(spec.valueRange).toEqual([0, 0.6])
    const features = await scoreInputs(networks, calibrationImages, spec, STRETCH_SCORE, 'm')
    expect(features.stretched!.alignClass).toHaveLength(calibrationImages.length)
    const calibration = fitOodCalibration(features, { score: STRETCH_SCORE, spec, tpr: 0.9 })
    expect(calibration.score).toBe(STRETCH_SCORE)
    expect(Number.isFinite(calibration.orientMargin)).toBe(true)
    expect(Number.isFinite(calibration.stretchMargin)).toBe(true)

    const upright = ramp(0.205, false)
    const dimmed = ramp(0.08, false)
    const [uprightScore, dimmedScore] = await oodScores(networks, [upright, dimmed], calibration, 'm', format)
    const [uprightBase, dimmedBase] = await oodScores(networks, [upright, dimmed], { ...calibration, score: 'mahalanobis-align-pair-class' }, 'm', format)
    const [, dimmedOrient] = await oodScores(networks, [upright, dimmed], { ...calibration, score: ORIENT_SCORE }, 'm', format)
    expect(uprightScore).toBeCloseTo(uprightBase, 10)
    // its stretched copy is the class's own ramp: far more typical than the dimmed image
    expect(dimmedScore).toBeGreaterThan(dimmedBase * 10)
    expect(dimmedScore).toBeGreaterThan(calibration.threshold)
    // the orientation check alone does not see it: no copy of a dimmed ramp turned any way is brighter
    expect(dimmedOrient).toBeCloseTo(dimmedBase, 10)
    const explained = await oodScoresExplained(networks, [upright, dimmed], calibration, 'm', format)
    expect(explained.contrast?.[0]).toBeUndefined()
    expect(explained.contrast?.[1]).toEqual({ raisedBy: expect.closeTo(dimmedScore / dimmedBase, 6) })
    expect(explained.orientation?.[1]).toBeUndefined()
    // the orientation-only score's result has no contrast part
    expect((await oodScoresExplained(networks, [dimmed], { ...calibration, score: ORIENT_SCORE }, 'm', format)).contrast).toBeUndefined()
  })

  it('names what it lacks', async () => {
    await expect(scoreInputs(networks, calibrationImages, { ...spec, shape: undefined }, STRETCH_SCORE, 'm')).rejects.toThrow(/image shape/)
    await expect(scoreInputs(networks, calibrationImages, { ...spec, valueRange: undefined }, STRETCH_SCORE, 'm')).rejects.toThrow(/value range/)
    // a latent model's inputs have no value range: the format carries none, and the score is refused
    expect(featureSpec(base, { shape }).valueRange).toBeUndefined()
    const rowsBefore = field.rowsEvaluated
    await expect(oodScores(networks, [ramp(0.2, false)], { ...base, mean: [0], precision: [[1]] }, 'm', { shape })).rejects.toThrow(/latent model's inputs are latents/)
    expect(field.rowsEvaluated, 'refused before any model row').toBe(rowsBefore)
    const features = await scoreInputs(networks, calibrationImages, spec, STRETCH_SCORE, 'm')
    const calibration = fitOodCalibration(features, { score: STRETCH_SCORE, spec, tpr: 0.9 })
    expect(() => scoreFeatures({ ...features, stretched: undefined }, calibration)).toThrow(/stretched copy/)
    expect(() => scoreFeatures(features, { ...calibration, stretchMargin: undefined })).toThrow(/stretchMargin/)
  })
})

describe('mahalanobis-align-pair-class-orient-stretch-centre', () => {
  // 1x6x6 images on background 0; class 0's minimum is a bar in the middle rows, class 1's in the middle columns
  const shape = [1, 6, 6] as const
  const format = { shape, valueRange: [0, 1] as const }
  const bar = (amplitude: number, vertical: boolean, offset = 0) =>
    Float32Array.from({ length: 36 }, (_, i) => {
      const [y, x] = [Math.floor(i / 6), i % 6]
      const along = vertical ? x : y
      return along - offset >= 2 && along - offset <= 3 ? amplitude : 0
    })
  const field = new AnalyticField([bar(1, false), bar(1, true), new Float32Array(36)], 2, 64)
  const generating = new AnalyticField([bar(0.9, false), bar(0.9, true), new Float32Array(36).fill(0.1)], 2, 64)
  const networks = { field, generatingField: async () => generating }
  const base = { score: CENTRE_SCORE, noiseLevels: [0, 0.3], seeds: [1], classes: 2, orientations: ['hflip'] as 'hflip'[] }
  const spec = featureSpec(base, format)
  const calibrationImages = [0.9, 0.93, 0.96, 1].flatMap((a) => [bar(a, false), bar(a, true), bar(a, false), bar(a, true)])

  it('fits a margin for each of its three checks and scores a shifted image up, saying the centring check did it', async () => {
    const features = await scoreInputs(networks, calibrationImages, spec, CENTRE_SCORE, 'm')
    expect(features.recentred!.alignClass).toHaveLength(calibrationImages.length)
    const calibration = fitOodCalibration(features, { score: CENTRE_SCORE, spec, tpr: 0.9 })
    for (const margin of [calibration.orientMargin, calibration.stretchMargin, calibration.centreMargin]) expect(Number.isFinite(margin)).toBe(true)
    const centred = bar(0.95, false)
    const shifted = bar(0.95, false, 2)
    const [centredScore, shiftedScore] = await oodScores(networks, [centred, shifted], calibration, 'm', format)
    const [centredBase, shiftedBase] = await oodScores(networks, [centred, shifted], { ...calibration, score: 'mahalanobis-align-pair-class' }, 'm', format)
    expect(centredScore).toBeCloseTo(centredBase, 10)
    // its centred copy is the class's own bar: far more typical than the shifted image
    expect(shiftedScore).toBeGreaterThan(shiftedBase * 10)
    const explained = await oodScoresExplained(networks, [centred, shifted], calibration, 'm', format)
    expect(explained.centring?.[0]).toBeUndefined()
    // the centring raise is most of the rise (the stretch check may add a little: the bar is at 0.95, not 1)
    const { raisedBy } = explained.centring![1]!
    const others = (explained.contrast?.[1]?.raisedBy ?? 1) * (explained.orientation?.[1]?.raisedBy ?? 1)
    expect(raisedBy).toBeGreaterThan(10)
    // what is left of the rise is raises too small to report (each under x1.05)
    const unreported = shiftedScore / shiftedBase / (raisedBy * others)
    expect(unreported).toBeGreaterThanOrEqual(1 - 1e-9)
    expect(unreported).toBeLessThan(1.05 ** 2)
    // the contrast-only score has no centring part, and misses the shift
    const stretchOnly = { ...calibration, score: STRETCH_SCORE }
    expect((await oodScoresExplained(networks, [shifted], stretchOnly, 'm', format)).centring).toBeUndefined()
    expect(() => scoreFeatures(features, { ...calibration, centreMargin: undefined })).toThrow(/centreMargin/)
  })

  it('spends no model rows on a copy equal to its image, and scores as if it had', async () => {
    const features = await scoreInputs(networks, calibrationImages, spec, CENTRE_SCORE, 'm')
    const calibration = fitOodCalibration(features, { score: CENTRE_SCORE, spec, tpr: 0.9 })
    const rows = () => field.rowsEvaluated + generating.rowsEvaluated
    const rowsOf = async (images: Float32Array[], score: string) => {
      const before = rows()
      const scores = await oodScores(networks, images, { ...calibration, score }, 'm', format)
      return { scores, rows: rows() - before }
    }
    // a full-contrast horizontal bar mid-frame: its mirror, stretched and centred copies are the image itself
    const plain = bar(1, false)
    const single = await rowsOf([plain], 'mahalanobis-align-pair-class')
    expect((await rowsOf([plain], CENTRE_SCORE)).rows).toBe(single.rows)
    // a dim bar off-centre: its mirror is itself, the other two copies are not
    const shifted = bar(0.95, false, 2)
    expect((await rowsOf([shifted], CENTRE_SCORE)).rows).toBe(3 * single.rows)
    // the same scores as when every copy's features are computed (as bench/ood-features.ts does)
    const images = [plain, shifted, bar(0.9, true)]
    const { orientations: _, shape: __, valueRange: ___, ...plainSpec } = spec
    const everyCopy = await scoreInputs(networks, images, plainSpec, 'mahalanobis-align-pair-class', 'm')
    everyCopy.reoriented = await reorientedInputs(networks, images, spec, 'm')
    await addRangeCheckInputs(everyCopy, ['stretch', 'centre'], networks, images, spec, 'm')
    const expected = scoreFeatures(everyCopy, calibration)
    const { scores } = await rowsOf(images, CENTRE_SCORE)
    scores.forEach((score, i) => expect(score).toBeCloseTo(expected[i], 9))
    expect(() => scoreFeatures({ ...features, recentred: undefined }, calibration)).toThrow(/recentred copy/)
  })
})
