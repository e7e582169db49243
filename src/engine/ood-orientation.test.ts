import { describe, expect, it } from 'vitest'
import { orientationExcess, orientationRaises, reoriented, withOrientation } from './ood-orientation'
import { fitOodCalibration, oodScores, oodScoresExplained, ORIENT_SCORE, scoreFeatures, scoreInputs, featureSpec } from './ood'
import { AnalyticField } from '../../test/support/analytic-field'

const grid = (h: number, w: number, c = 1) => Float32Array.from({ length: c * h * w }, (_, i) => i)

describe('orientation copies', () => {
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

  it('raises a score only by what its most typical copy beats it by beyond the margin', () => {
    // copies' scores 10 (no better), 1 (10x better), 5 (2x better); margin log 4
    expect(orientationExcess([10, 10, 10], [[10, 1, 5]])).toEqual([0, expect.closeTo(Math.log(10), 12), expect.closeTo(Math.log(2), 12)])
    const scores = withOrientation([10, 10, 10], [[12, 1, 5], [10, 30, 50]], Math.log(4))
    expect(scores[0]).toBe(10)
    expect(scores[1]).toBeCloseTo(25, 10)
    expect(scores[2]).toBe(10)
    expect(() => orientationExcess([Number.NaN], [[1]])).toThrow(/not finite/)
    // which copy did it, and by how much: only where the score was raised
    const raises = orientationRaises([10, 10, 10], [[12, 1, 5], [10, 30, 50]], ['vflip', 'rot180'], Math.log(4))
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
  const spec = featureSpec(base, shape)
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
    const [uprightScore, flippedScore] = await oodScores(networks, [upright, flipped], calibration, 'm', shape)
    const [uprightBase, flippedBase] = await oodScores(networks, [upright, flipped], { ...calibration, score: 'mahalanobis-align-pair-class' }, 'm', shape)
    expect(uprightScore).toBeCloseTo(uprightBase, 10)
    // its hflip copy is the upright ramp, far more typical than the flipped image itself
    expect(flippedScore).toBeGreaterThan(flippedBase * 10)
    expect(flippedScore).toBeGreaterThan(calibration.threshold)
    const explained = await oodScoresExplained(networks, [upright, flipped], calibration, 'm', shape)
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
    expect(featureSpec({ score: ORIENT_SCORE, noiseLevels: [0, 0.3], seeds: [1], classes: 2 }, [1, 4, 6]).orientations).toEqual(['hflip', 'vflip', 'rot180'])
  })
})
