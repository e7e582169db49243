import { afterAll, describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Engine } from '../src/engine/engine'
import { featureSpec, mahalanobisVectors } from '../src/engine/ood'
import { scoreInputs } from '../src/engine/ood-features'
import { MIN_CLASS_IMAGES } from '../src/engine/ood-fit'
import { bytesToValues } from '../src/shared/image-convert'
import { calibratableScoresOf } from '../src/shared/settings'
import { SHIPPED_MODELS } from './support/paths'
import { fashionTestImages, fashionTestLabel } from './support/fashion-test-images'
import { scratchFolder } from './support/scratch'
import { SHIPPED_MANIFEST, shippedCopy } from './support/shipped-copies'

/**
 * OOD score mahalanobis-align-pair-class on the shipped model: the OOD network finds each image's
 * class itself (the class whose conditional field best recovers the noise), and the pair vector is
 * measured against that class's mean with one shared covariance. Fitted here through the engine's
 * own calibrate path with the score chosen by the user (as `eqm calibrate --score` and the studio do).
 */
const root = scratchFolder('eqm-ood-class-')
const engine = new Engine({ modelRoots: [SHIPPED_MODELS], provider: 'cpu', shippedModels: null, calibrationsDir: join(root, 'calibrations') })
const { ood: _ood, ...withoutOod } = SHIPPED_MANIFEST.files as Record<string, string>
const noOod = new Engine({ modelRoots: [shippedCopy(root, 'no-ood', { files: withoutOod })], provider: 'cpu', shippedModels: null, calibrationsDir: join(root, 'calibrations-none') })
afterAll(async () => {
  await engine.dispose()
  await noOod.dispose()
})

const SCORE = 'mahalanobis-align-pair-class'
const FROM = 9300
const COUNT = 60

describe('OOD score mahalanobis-align-pair-class on the shipped model', () => {
  it('finds most images\' true class with the EqM field alone', async () => {
    const entry = engine.model('fashion-mnist')
    const images = fashionTestImages(FROM, COUNT).map((p) => bytesToValues(Buffer.from(p.image.data, 'base64'), entry.manifest.valueRange))
    const spec = featureSpec({ score: SCORE, noiseLevels: SHIPPED_MANIFEST.ood.noiseLevels, seeds: SHIPPED_MANIFEST.ood.seeds, classes: 10 })
    const features = await scoreInputs(await engine.oodModels(entry), images, spec, SCORE, 'fashion-mnist')
    const right = features.alignClass!.filter((c, i) => c === fashionTestLabel(FROM + i)).length
    // about 70% on held-out images (training/OOD.md); 10% is chance
    expect(right / COUNT).toBeGreaterThan(0.5)
  }, 180_000)

  it("the user's calibration fits a mean per class and one shared covariance, and lets 95% of its images pass", async () => {
    const images = fashionTestImages(FROM, COUNT)
    const stored = await engine.calibrateOod('fashion-mnist', (async function* () {
      yield images.slice(0, 25)
      yield images.slice(25)
    })(), ['held-out test images'], SCORE)
    const fitted = stored.calibration
    const width = 2 * (2 * SHIPPED_MANIFEST.ood.noiseLevels.length)
    expect(fitted).toMatchObject({ score: SCORE, classes: 10, calibrationImages: COUNT, noiseLevels: SHIPPED_MANIFEST.ood.noiseLevels })
    expect(fitted.classMeans!.map((row) => row.length)).toEqual(new Array(10).fill(width))
    // a class the field found fewer than MIN_CLASS_IMAGES times keeps the overall mean; the others have their own
    const entry = engine.model('fashion-mnist')
    const values = images.map((p) => bytesToValues(Buffer.from(p.image.data, 'base64'), entry.manifest.valueRange))
    const features = await scoreInputs(await engine.oodModels(entry), values, featureSpec(fitted), SCORE, 'fashion-mnist')
    const vectors = mahalanobisVectors(features, SCORE)
    for (let c = 0; c < 10; c++) {
      const members = vectors.filter((_, i) => features.alignClass![i] === c)
      const expected = members.length >= MIN_CLASS_IMAGES ? members : vectors
      fitted.classMeans![c].forEach((v, j) => expect(v).toBeCloseTo(expected.reduce((sum, row) => sum + row[j], 0) / expected.length, 9))
    }
    const results = (await engine.call('ood.score', { modelId: 'fashion-mnist', images })).results
    expect(results.filter((r) => r.flagged).length).toBe(3)
    // each result names its class only where that class had a mean of its own
    const ownMean = (c: number) => vectors.filter((_, i) => features.alignClass![i] === c).length >= MIN_CLASS_IMAGES
    expect(results.map((r) => r.comparedWithClass)).toEqual(features.alignClass!.map((c) => (ownMean(c) ? c : undefined)))
  }, 300_000)

  it('a stored calibration counting more classes than the model names is refused, saying how to reset it', async () => {
    const file = join(root, 'calibrations', 'fashion-mnist.json')
    const stored = JSON.parse(readFileSync(file, 'utf8'))
    writeFileSync(file, JSON.stringify({ ...stored, calibration: { ...stored.calibration, classes: 100_000 } }))
    const fresh = new Engine({ modelRoots: [SHIPPED_MODELS], provider: 'cpu', shippedModels: null, calibrationsDir: join(root, 'calibrations') })
    try {
      await expect(fresh.call('ood.score', { modelId: 'fashion-mnist', images: fashionTestImages(FROM, 1) })).rejects.toThrow(/counts 100000 classes, the model names 10; reset it/)
    } finally {
      await fresh.dispose()
    }
  }, 60_000)

  it('is offered only with files.ood, and refused without it, naming it', async () => {
    const listed = (e: Engine) => e.listModels().find((m) => m.id === 'fashion-mnist')!
    expect(calibratableScoresOf(listed(engine))).toContain(SCORE)
    expect(calibratableScoresOf(listed(noOod))).not.toContain(SCORE)
    await expect(noOod.calibrateOod('fashion-mnist', (async function* () {
      yield fashionTestImages(FROM, 5)
    })(), ['x'], SCORE)).rejects.toThrow(/no files\.ood/)
  }, 60_000)
})
