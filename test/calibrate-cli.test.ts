import { describe, expect, it } from 'vitest'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { fashionTestPixels } from './support/fashion-test-images'
import { ROOT, SHIPPED_MODELS } from './support/paths'
import { canImport, eqm, importTinyLatentModel } from './support/latent-models'
import { scratchFolder } from './support/scratch'

// eqm calibrate fits a model's OOD calibration (its own score kind) to the user's images, keeps it in
// --user-data (never in the model folder), eqm ood then uses it, and --reset goes back to the model's.
const built = existsSync(join(ROOT, 'out', 'main', 'cli.js'))

function writeImages(folder: string, count: number, side: number, channels: 1 | 3): void {
  mkdirSync(join(folder, 'nested'), { recursive: true })
  for (let n = 0; n < count; n++) {
    const png = new PNG({ width: side, height: side })
    for (let i = 0; i < side * side; i++) {
      const v = (i * (n + 3) * 37) % 256
      png.data[i * 4] = v
      png.data[i * 4 + 1] = channels === 1 ? v : (v * 7) % 256
      png.data[i * 4 + 2] = channels === 1 ? v : 255 - v
      png.data[i * 4 + 3] = 255
    }
    writeFileSync(join(folder, n % 2 ? 'nested' : '.', `img-${n}.png`), PNG.sync.write(png))
  }
}

function oodLines(args: string[]) {
  const run = eqm('ood', ...args, '--json')
  expect(run.code).toBe(0)
  return run.lines.map((l) => JSON.parse(l))
}

describe.skipIf(!built)('eqm calibrate (needs npm run build)', () => {
  it('the embedded model: its own score kind, kept in user-data, used by eqm ood, reset to the shipped one', () => {
    const userData = scratchFolder('eqm-userdata-')
    const models = join(userData, 'shipped')
    cpSync(SHIPPED_MODELS, models, { recursive: true })
    const images = join(userData, 'mine')
    writeImages(images, 10, 28, 1)
    const common = ['--models', models, '--user-data', userData, '--model', 'fashion-mnist']
    const before = oodLines([...common, images])
    const calibrated = eqm('calibrate', ...common, images)
    expect(calibrated.stderr).toBe('')
    expect(calibrated.code).toBe(0)
    const summary = JSON.parse(calibrated.lines[0])
    const shipped = JSON.parse(readFileSync(join(models, 'fashion-mnist', 'manifest.json'), 'utf8')).ood
    expect(summary).toMatchObject({ model: 'fashion-mnist', score: shipped.score, images: 10, tpr: 0.95 })
    // a per-class score names the class each image was measured against, one of the model's
    const classes = JSON.parse(readFileSync(join(models, 'fashion-mnist', 'manifest.json'), 'utf8')).classes as string[]
    if (shipped.score.startsWith('mahalanobis-align-pair-class')) expect(before.every((l) => classes.includes(l.comparedWith))).toBe(true)
    else expect(before.every((l) => l.comparedWith === undefined)).toBe(true)
    const stored = JSON.parse(readFileSync(join(userData, 'ood-calibrations', 'fashion-mnist.json'), 'utf8'))
    expect(stored.calibration).toMatchObject({ score: shipped.score, noiseLevels: shipped.noiseLevels, seeds: shipped.seeds })
    expect(stored.calibration.precision).toHaveLength(shipped.precision.length)
    // the model folder is untouched
    expect(readdirSync(join(models, 'fashion-mnist')).some((f) => f.includes('calib'))).toBe(false)
    // on its own calibration images 95% pass: at most one of ten is flagged
    const after = oodLines([...common, images])
    expect(after.filter((l) => l.flagged).length).toBeLessThanOrEqual(1)
    expect(after.map((l) => l.percentile)).not.toEqual(before.map((l) => l.percentile))
    const text = eqm('ood', ...common, images)
    expect(text.stderr).toMatch(/calibration: your calibration: 10 images from .*mine/)
    if (shipped.score.startsWith('mahalanobis-align-pair-class')) {
      // these ten images give no class the 5 it needs for a mean of its own: each was measured against the overall mean, so no class is named
      expect(after.every((l) => l.comparedWith === undefined)).toBe(true)
      expect(text.stdout).not.toMatch(/\(as /)
    }
    expect(eqm('calibrate', ...common, '--reset').code).toBe(0)
    expect(oodLines([...common, images])).toEqual(before)
    // with the model's own calibration the text output names the class too
    if (shipped.score.startsWith('mahalanobis-align-pair-class')) expect(eqm('ood', ...common, images).stdout).toMatch(/img-\d+\.png {2}\(as [^)]+\)/)
  }, 180_000)

  it('--score fits another score than the model\'s own (the classifier variant) and eqm ood uses it; an unknown score is refused', () => {
    const userData = scratchFolder('eqm-userdata-')
    const images = join(userData, 'mine')
    mkdirSync(images)
    // 30 held-out Fashion-MNIST test images: the variant's Gaussian has 23 numbers
    for (let n = 0; n < 30; n++) {
      const png = new PNG({ width: 28, height: 28 })
      fashionTestPixels(9600 + n).forEach((v, i) => png.data.set([v, v, v, 255], i * 4))
      writeFileSync(join(images, `test-${n}.png`), PNG.sync.write(png))
    }
    const common = ['--models', SHIPPED_MODELS, '--user-data', userData, '--model', 'fashion-mnist']
    const refused = eqm('calibrate', ...common, '--score', 'nonsense', images)
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/--score: "nonsense" is not a score/)
    const calibrated = eqm('calibrate', ...common, '--score', 'mahalanobis-align-pair-classifier', images)
    expect(calibrated.stderr).toBe('')
    expect(JSON.parse(calibrated.lines[0])).toMatchObject({ score: 'mahalanobis-align-pair-classifier', images: 30 })
    const stored = JSON.parse(readFileSync(join(userData, 'ood-calibrations', 'fashion-mnist.json'), 'utf8'))
    expect(stored.calibration.mean).toHaveLength(23)
    // its own images: the 95% threshold of 30 scores flags at most 2
    expect(oodLines([...common, images]).filter((l) => l.flagged).length).toBeLessThanOrEqual(2)
  }, 180_000)

  it.skipIf(!canImport())('a latent model: scores in latent space, calibrated on a folder of images', () => {
    const { root, modelId } = importTinyLatentModel()
    const userData = scratchFolder('eqm-userdata-')
    const images = join(userData, 'mine')
    writeImages(images, 6, 16, 3)
    const common = ['--models', root, '--user-data', userData, '--model', modelId]
    expect(oodLines([...common, images]).every((l) => l.flagged === null)).toBe(true)
    const calibrated = eqm('calibrate', ...common, images)
    expect(calibrated.code).toBe(0)
    expect(JSON.parse(calibrated.lines[0])).toMatchObject({ score: 'grad-rms', images: 6 })
    const after = oodLines([...common, images])
    expect(after.every((l) => typeof l.flagged === 'boolean' && typeof l.percentile === 'number')).toBe(true)
  }, 180_000)
})

describe('ood.calibrate over the wire (the studio action)', () => {
  it('calibrates from the images sent, lists what it was fitted on, and resets', async () => {
    const { Engine } = await import('../src/engine/engine')
    const { FIXTURE_MODELS } = await import('./support/paths')
    const userData = scratchFolder('eqm-userdata-')
    const engine = new Engine({ modelRoots: [FIXTURE_MODELS], calibrationsDir: join(userData, 'ood-calibrations') })
    try {
      const [c, h, w] = engine.listModels().find((m) => m.id === 'quadratic')!.imageShape
      const images = Array.from({ length: 8 }, (_, n) => ({
        name: `img-${n}`,
        image: { width: w, height: h, channels: c, data: Buffer.from(Uint8Array.from({ length: c * h * w }, (_, i) => (i * (n + 5) * 13) % 256)).toString('base64') }
      }))
      const shipped = engine.listModels().find((m) => m.id === 'quadratic')!.ood
      const result = await engine.call('ood.calibrate', { modelId: 'quadratic', images, source: 'my folder' })
      expect(result).toMatchObject({ modelId: 'quadratic', images: 8 })
      const listed = engine.listModels().find((m) => m.id === 'quadratic')!
      expect(listed.oodCalibratedOn).toMatch(/^your calibration: 8 images from my folder/)
      expect(listed.ood!.score).toBe(shipped!.score)
      expect(listed.ood!.threshold).toBe(result.threshold)
      expect(await engine.call('ood.resetCalibration', { modelId: 'quadratic' })).toEqual({ modelId: 'quadratic', reset: true })
      expect(engine.listModels().find((m) => m.id === 'quadratic')!.ood).toEqual(shipped)
    } finally {
      await engine.dispose()
    }
  })
})
