import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Engine } from '../src/engine/engine'
import { featureSpec, scoreFeatures } from '../src/engine/ood'
import { scoreInputs } from '../src/engine/ood-features'
import type { OodCalibration } from '../src/shared/manifest'
import { bytesToValues } from '../src/shared/image-convert'
import { fashionTestImages } from './support/fashion-test-images'
import { SHIPPED_MANIFEST, identityAlignOod, shippedCopy } from './support/shipped-copies'

/**
 * OOD score mahalanobis-align-pair on the shipped model: the align vectors of the OOD network
 * (files.ood) and of the generating one (files.gradient), one Gaussian over both. A calibration is
 * fitted here through the engine's own calibrate path (the user's calibration, for a manifest whose
 * score is the pair kind) on held-out Fashion-MNIST test images, then: it round-trips through the
 * store and the OOD call; its scores move when either network file is swapped while the
 * mahalanobis-align scores move only with files.ood; a model without files.ood refuses it.
 */
const shippedManifest = SHIPPED_MANIFEST
const { mean: _mean, precision: _precision, ...alignBlock } = shippedManifest.ood
const pairOod = { ...alignBlock, score: 'mahalanobis-align-pair' }
// a fixed mahalanobis-align calibration (identity Gaussian): which network's features move it is checked
const alignOod = identityAlignOod()
const { ood: oodFile, ...withoutOod } = shippedManifest.files as Record<string, string>
const root = mkdtempSync(join(tmpdir(), 'eqm-ood-pair-'))
const variant = (name: string, files: Record<string, string>) => shippedCopy(root, name, { files, ood: pairOod })
// one calibrations folder: every variant has the shipped id and provenance, so all read the calibration fitted on `pair`
const calibrationsDir = join(root, 'ood-calibrations')
const engineOf = (models: string, extra: { cpuPrecision?: 'int8' } = {}) => new Engine({ modelRoots: [models], provider: 'cpu', shippedModels: null, calibrationsDir, ...extra })
const pairRoot = variant('pair', shippedManifest.files)
const engines = {
  pair: engineOf(pairRoot),
  // the generating network replaced by the OOD network, and the other way round
  gradientSwapped: engineOf(variant('gradient-swapped', { ...shippedManifest.files, gradient: oodFile })),
  oodSwapped: engineOf(variant('ood-swapped', { ...shippedManifest.files, ood: shippedManifest.files.gradient })),
  noOod: engineOf(variant('no-ood', withoutOod)),
  int8: engineOf(pairRoot, { cpuPrecision: 'int8' })
}
afterAll(async () => {
  for (const engine of Object.values(engines)) await engine.dispose()
  rmSync(root, { recursive: true, force: true })
})

const testImages = fashionTestImages
const calibrationImages = testImages(9300, 40)
const probes = testImages(9400, 10)
const scores = async (engine: Engine, images = probes) => (await engine.call('ood.score', { modelId: 'fashion-mnist', images })).results.map((r) => r.score)
/** both scores from one feature run of the engine's OOD networks: a fixed align calibration and the given pair one */
async function bothScores(engine: Engine, pair: OodCalibration): Promise<{ align: number[]; pair: number[] }> {
  const entry = engine.model('fashion-mnist')
  const images = probes.map((p) => bytesToValues(Buffer.from(p.image.data, 'base64'), entry.manifest.valueRange))
  const features = await scoreInputs(await engine.oodModels(entry), images, featureSpec(pair), pair.score, 'fashion-mnist')
  return { align: scoreFeatures(features, alignOod as OodCalibration), pair: scoreFeatures(features, pair) }
}
const moved = (a: number[], b: number[]) => a.filter((s, i) => Math.abs(s - b[i]) > 1e-6 * Math.max(1, Math.abs(s))).length

describe('OOD score mahalanobis-align-pair on the shipped model', () => {
  let fitted: OodCalibration

  it('the user calibration of a pair-kind model fits one Gaussian over both networks and round-trips through the store and the OOD call', async () => {
    const stored = await engines.pair.calibrateOod('fashion-mnist', (async function* () {
      yield calibrationImages.slice(0, 25)
      yield calibrationImages.slice(25)
    })(), ['held-out test images'])
    fitted = stored.calibration
    // (log rms over 5 levels, dot, align over 4 levels) per network, twice
    const width = 2 * (2 * shippedManifest.ood.noiseLevels.length)
    expect(fitted).toMatchObject({ score: 'mahalanobis-align-pair', noiseLevels: shippedManifest.ood.noiseLevels, seeds: shippedManifest.ood.seeds, calibrationImages: 40 })
    expect(fitted.mean).toHaveLength(width)
    expect(fitted.precision!.map((row) => row.length)).toEqual(new Array(width).fill(width))
    expect(engines.pair.listModels().find((m) => m.id === 'fashion-mnist')!.ood).toEqual(fitted)
    // the calibration's own images: the threshold at the 95% quantile of 40 scores lets exactly 38 pass
    const results = (await engines.pair.call('ood.score', { modelId: 'fashion-mnist', images: calibrationImages })).results
    expect(results.filter((r) => r.flagged).length).toBe(2)
    expect(Math.max(...results.map((r) => r.score))).toBeCloseTo(fitted.quantiles.at(-1)![1], 9)
    // a fresh engine reads the same calibration from the store and scores alike
    const fresh = engineOf(pairRoot)
    try {
      expect(await scores(fresh)).toEqual(await scores(engines.pair))
    } finally {
      await fresh.dispose()
    }
  }, 180_000)

  it('depends on both networks: swapping either file moves the pair scores; the align scores move only with files.ood', async () => {
    const [shipped, gradientSwapped, oodSwapped] = await Promise.all([bothScores(engines.pair, fitted), bothScores(engines.gradientSwapped, fitted), bothScores(engines.oodSwapped, fitted)])
    // the OOD call of the pair engine is this score
    expect(await scores(engines.pair)).toEqual(shipped.pair)
    expect(gradientSwapped.align).toEqual(shipped.align)
    expect(moved(shipped.pair, gradientSwapped.pair)).toBe(probes.length)
    expect(moved(shipped.align, oodSwapped.align)).toBe(probes.length)
    expect(moved(shipped.pair, oodSwapped.pair)).toBe(probes.length)
  }, 180_000)

  it('an int8 CPU engine scores the pair on fp32 features of both networks', async () => {
    expect(await scores(engines.int8)).toEqual(await scores(engines.pair))
  }, 180_000)

  it('is refused on a model without files.ood (both networks would be the same)', async () => {
    await expect(engines.noOod.calibrateOod('fashion-mnist', (async function* () {
      yield calibrationImages.slice(0, 5)
    })(), ['x'])).rejects.toThrow(/mahalanobis-align-pair reads two networks.*no files\.ood/)
    // the stored pair calibration (fitted on the shipped folder) is not silently scored with one network
    await expect(scores(engines.noOod)).rejects.toThrow(/no files\.ood/)
  }, 60_000)
})
