import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { Engine } from '../src/engine/engine'
import { featureSpec } from '../src/engine/ood'
import { scoreInputs } from '../src/engine/ood-features'
import { CLASSIFIER_FEATURES } from '../src/engine/ood-kinds'
import { bytesToValues } from '../src/shared/image-convert'
import { SHIPPED_MODELS } from './support/paths'
import { fashionTestImages } from './support/fashion-test-images'
import { SHIPPED_MANIFEST, shippedCopy } from './support/shipped-copies'
import { calibratableScoresOf } from '../src/shared/settings'

/**
 * The OOD variant that adds the shipped classifier (score mahalanobis-align-pair-classifier), on a
 * copy of the shipped model whose manifest names it: the classifier's three numbers per image are
 * checked against the classifier's outputs read here with a plain onnxruntime session; the user's
 * calibration fits one Gaussian over the pair vector and those three; a model without a classifier
 * refuses the score, naming what is missing.
 */
const shipped = SHIPPED_MANIFEST
const { mean: _mean, precision: _precision, ...spec } = shipped.ood
const variantOod = { ...spec, score: 'mahalanobis-align-pair-classifier' }
const root = mkdtempSync(join(tmpdir(), 'eqm-ood-classifier-'))
const copy = (name: string, files: Record<string, string>) => shippedCopy(root, name, { files, ood: variantOod })
const { classifier: classifierFile, ...withoutClassifier } = shipped.files as Record<string, string>
const engineOf = (models: string, name: string) => new Engine({ modelRoots: [models], provider: 'cpu', shippedModels: null, calibrationsDir: join(root, `calibrations-${name}`) })
const engines = { variant: engineOf(copy('variant', shipped.files), 'variant'), noClassifier: engineOf(copy('no-classifier', withoutClassifier), 'none') }
afterAll(async () => {
  for (const engine of Object.values(engines)) await engine.dispose()
  rmSync(root, { recursive: true, force: true })
})

const testImages = fashionTestImages

describe('OOD variant with the classifier (mahalanobis-align-pair-classifier)', () => {
  it("reads the classifier's best-class log probability, logsumexp and log feature norm of each image", async () => {
    const entry = engines.variant.model('fashion-mnist')
    const images = testImages(9500, 6).map((p) => bytesToValues(Buffer.from(p.image.data, 'base64'), entry.manifest.valueRange))
    const features = await scoreInputs(await engines.variant.oodModels(entry), images, featureSpec(variantOod), variantOod.score, 'fashion-mnist')
    expect(features.classifier).toHaveLength(images.length)
    expect(features.pair?.align).toHaveLength(images.length)
    const session = await ort.InferenceSession.create(join(SHIPPED_MODELS, 'fashion-mnist', classifierFile))
    for (const [i, image] of images.entries()) {
      const out = await session.run({ x: new ort.Tensor('float32', image, [1, 1, 28, 28]) })
      const logits = Array.from(out.logits.data as Float32Array)
      const lse = Math.log(logits.reduce((sum, v) => sum + Math.exp(v), 0))
      const norm = Math.hypot(...(out.features.data as Float32Array))
      const expected = [Math.max(...logits) - lse, lse, Math.log(norm)]
      expect(features.classifier![i]).toHaveLength(CLASSIFIER_FEATURES.length)
      features.classifier![i].forEach((v, k) => expect(v).toBeCloseTo(expected[k], 4))
    }
    await session.release()
  }, 120_000)

  it("the user's calibration fits one Gaussian over the pair vector and the classifier's three numbers", async () => {
    const images = testImages(9300, 40)
    const stored = await engines.variant.calibrateOod('fashion-mnist', (async function* () {
      yield images.slice(0, 20)
      yield images.slice(20)
    })(), ['held-out test images'])
    const width = 2 * (2 * shipped.ood.noiseLevels.length) + CLASSIFIER_FEATURES.length
    expect(stored.calibration).toMatchObject({ score: 'mahalanobis-align-pair-classifier', calibrationImages: 40 })
    expect(stored.calibration.mean).toHaveLength(width)
    const results = (await engines.variant.call('ood.score', { modelId: 'fashion-mnist', images })).results
    expect(results.filter((r) => r.flagged).length).toBe(2)
  }, 180_000)

  it('is refused on a model without a classifier, naming files.classifier', async () => {
    await expect(engines.noClassifier.calibrateOod('fashion-mnist', (async function* () {
      yield testImages(9300, 5)
    })(), ['x'])).rejects.toThrow(/reads the model's classifier.*files\.classifier/)
    await expect(engines.noClassifier.call('ood.score', { modelId: 'fashion-mnist', images: testImages(9400, 2) })).rejects.toThrow(/files\.classifier/)
  }, 60_000)

  it('is offered for calibration only where the model can compute it (files.ood and a classifier)', async () => {
    const listed = (id: string, engine: Engine) => engine.listModels().find((m) => m.id === id)!
    expect(calibratableScoresOf(listed('fashion-mnist', engines.variant))).toContain('mahalanobis-align-pair-classifier')
    const noClassifier = calibratableScoresOf(listed('fashion-mnist', engines.noClassifier))
    expect(noClassifier).toContain('mahalanobis-align-pair')
    expect(noClassifier).not.toContain('mahalanobis-align-pair-classifier')
    expect(calibratableScoresOf({ hasClassifier: true })).not.toContain('mahalanobis-align-pair')
    expect(calibratableScoresOf({ hasClassifier: true })).not.toContain('energy')
  })
})
