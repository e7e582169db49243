import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { modelManifestSchema, resolveSamplerPresets, resolveStudioDefaults, samplerForMethod } from './manifest'
import { COMPOSE, REPAIR } from './settings'

const ROOT = join(__dirname, '..', '..')
const fixture = () => JSON.parse(readFileSync(join(ROOT, 'test/fixtures/models/quadratic/manifest.json'), 'utf8'))

describe('model manifest: studio defaults', () => {
  it("are optional, and fall back to the settings module's defaults and the sampler guidance", () => {
    const manifest = modelManifestSchema.parse(fixture())
    expect(manifest.studio).toBeUndefined()
    expect(resolveStudioDefaults(manifest.studio, manifest.sampler)).toEqual({
      repair: { strength: REPAIR.strength.default, holdUnmasked: true, guideHintStrength: REPAIR.guideHintStrength.default, sampler: manifest.sampler },
      compose: { weight: COMPOSE.weight.default, cfg: manifest.sampler.cfg, sampler: manifest.sampler }
    })
  })

  it('take what the manifest states, part by part', () => {
    const manifest = modelManifestSchema.parse({ ...fixture(), studio: { repair: { strength: 0.3 }, compose: { weight: 0.5 } } })
    const sampler = { ...manifest.sampler, cfg: 2 }
    expect(resolveStudioDefaults(manifest.studio, sampler)).toEqual({
      repair: { strength: 0.3, holdUnmasked: true, guideHintStrength: REPAIR.guideHintStrength.default, sampler },
      compose: { weight: 0.5, cfg: 2, sampler }
    })
  })

  it("give each tool its own sampler over the model's: Generate's default can move while Repair and Compose keep theirs", () => {
    const generate = { ...fixture().sampler, cfg: 4, stopGradNorm: 0.15, farCfg: 1.25, farUntilRms: 3 }
    const studio = { repair: { sampler: { cfg: 3, stopGradNorm: 0.35, farUntilRms: 0 } }, compose: { cfg: 2.5, sampler: { stopGradNorm: 0.35, farUntilRms: 0 } } }
    const manifest = modelManifestSchema.parse({ ...fixture(), sampler: generate, studio })
    const resolved = resolveStudioDefaults(manifest.studio, manifest.sampler)
    expect(resolved.repair.sampler).toEqual({ ...generate, cfg: 3, stopGradNorm: 0.35, farUntilRms: 0 })
    // the composition's cfg is its own (studio.compose.cfg), the rest its sampler over the model's
    expect(resolved.compose.sampler).toEqual({ ...generate, cfg: 2.5, stopGradNorm: 0.35, farUntilRms: 0 })
    expect(resolved.compose.cfg).toBe(2.5)
    expect(modelManifestSchema.safeParse({ ...fixture(), studio: { repair: { sampler: { cfg: -1 } } } }).success).toBe(false)
  })

  it("carry each method's benchmarked setting as a preset, whole over the model's sampler", () => {
    const clock = { ...fixture().sampler, method: 'clock', maxSteps: 13, cfg: 2, farCfg: 1, farUntilTime: 0.4 }
    const descent = { method: 'nag', maxSteps: 50, cfg: 4, farCfg: 1.25, farUntilRms: 3 }
    const manifest = modelManifestSchema.parse({ ...fixture(), sampler: clock, samplerPresets: { nag: descent } })
    const presets = resolveSamplerPresets(manifest.samplerPresets, manifest.sampler)
    expect(presets).toEqual({ nag: { ...clock, ...descent } })
    // an unknown method, or a preset's value out of bounds, is refused
    expect(modelManifestSchema.safeParse({ ...fixture(), samplerPresets: { adam: { maxSteps: 5 } } }).success).toBe(false)
    expect(modelManifestSchema.safeParse({ ...fixture(), samplerPresets: { nag: { maxSteps: -5 } } }).success).toBe(false)
    expect(resolveSamplerPresets(undefined, manifest.sampler)).toEqual({})
  })

  it("move a tool to the picked method's setting: its own defaults, else the model's preset, else only the method", () => {
    const clock = { ...fixture().sampler, method: 'clock' as const, maxSteps: 13, cfg: 2, farCfg: 1, farUntilTime: 0.4 }
    const nag = { ...clock, method: 'nag' as const, maxSteps: 50, cfg: 4, farCfg: 1.25, farUntilRms: 3, farUntilTime: undefined }
    const edited = { ...clock, maxSteps: 20 }
    expect(samplerForMethod(edited, 'nag', clock, { nag })).toEqual(nag)
    // back to the tool's own method: its defaults, not the edit that was there before the switch
    expect(samplerForMethod(nag, 'clock', clock, { nag })).toEqual(clock)
    // no preset for GD: only the method changes
    expect(samplerForMethod(edited, 'gd', clock, { nag })).toEqual({ ...edited, method: 'gd' })
  })

  it('refuse values outside their range', () => {
    expect(modelManifestSchema.safeParse({ ...fixture(), studio: { repair: { strength: 0 } } }).success).toBe(false)
    expect(modelManifestSchema.safeParse({ ...fixture(), studio: { compose: { cfg: -1 } } }).success).toBe(false)
  })
})

describe('model manifest: OOD calibration', () => {
  it('refuses a calibration counting more classes than the model names (they drive the rows per image)', () => {
    const base = fixture()
    const ood = { score: 'mahalanobis-align-pair-class', quantiles: [[0, 0], [1, 1]], threshold: 1, tpr: 0.95 }
    expect(modelManifestSchema.safeParse({ ...base, ood: { ...ood, classes: base.classes.length } }).success).toBe(true)
    const tooMany = modelManifestSchema.safeParse({ ...base, ood: { ...ood, classes: base.classes.length + 1 } })
    expect(tooMany.success).toBe(false)
    expect(JSON.stringify(tooMany.error?.issues)).toMatch(/ood.classes must not exceed/)
    // levels and seeds are rows per image too
    expect(modelManifestSchema.safeParse({ ...base, ood: { ...ood, seeds: Array.from({ length: 16 }, (_, i) => i) } }).success).toBe(true)
    expect(modelManifestSchema.safeParse({ ...base, ood: { ...ood, seeds: Array.from({ length: 17 }, (_, i) => i) } }).success).toBe(false)
    expect(modelManifestSchema.safeParse({ ...base, ood: { ...ood, noiseLevels: new Array(17).fill(0.5) } }).success).toBe(false)
  })
})

const PYTHON = process.env.EQM_PYTHON ?? '/usr/bin/python3'
const hasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0

describe('the shipped Fashion-MNIST manifest', () => {
  const shipped = () => modelManifestSchema.parse(JSON.parse(readFileSync(join(ROOT, 'models/fashion-mnist/manifest.json'), 'utf8')))

  it('parses, with every studio default stated', () => {
    const studio = shipped().studio
    expect(studio?.repair?.strength).toBeGreaterThanOrEqual(REPAIR.strength.min)
    expect(studio?.repair?.guideHintStrength).toBeGreaterThan(0)
    expect(studio?.compose?.weight).not.toBe(0)
    expect(studio?.compose?.cfg).toBeGreaterThan(0)
  })

  // the studio block is not typed in by hand: it is what the chooser picks from the committed benchmark results
  it.skipIf(!hasNumpy)(`states exactly what training/studio_defaults.py chooses from the committed benchmarks (needs ${PYTHON} with numpy)`, () => {
    const run = spawnSync(PYTHON, [join(ROOT, 'training', 'studio_defaults.py')], { cwd: ROOT, encoding: 'utf8' })
    expect(run.status, run.stderr).toBe(0)
    expect(shipped().studio).toEqual(JSON.parse(run.stdout))
  })
})

describe('model manifest: latent models and models that cannot generate', () => {
  const latent = () => ({ ...fixture(), space: 'latent', latent: { vae: 'sd-vae-ft-ema', scale: 0.18215, imageShape: [3, 256, 256] } })

  it('a latent model names its VAE by id (no decoder file needed)', () => {
    expect(modelManifestSchema.parse(latent()).latent?.vae).toBe('sd-vae-ft-ema')
    const { latent: _omitted, ...withoutVae } = latent()
    expect(modelManifestSchema.safeParse(withoutVae).success).toBe(false)
  })

  it('files.gradient may be absent only with a reason in "unavailable"', () => {
    const base = latent()
    const noGradient = { ...base, files: { energy: 'energy.onnx' } }
    expect(modelManifestSchema.safeParse(noGradient).success).toBe(false)
    expect(modelManifestSchema.safeParse({ ...noGradient, unavailable: 'energy-only import' }).success).toBe(true)
  })
})
