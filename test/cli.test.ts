import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { readPngText } from '../src/shared/png-text'
import { FIXTURE_MODELS, ROOT, SHIPPED_MODELS } from './support/paths'
import { defaultModelsRoot } from '../src/engine/hosts/host-config'

const work = mkdtempSync(join(tmpdir(), 'eqm-cli-'))
const models = join(work, 'models')
cpSync(join(FIXTURE_MODELS, 'quadratic'), join(models, 'quadratic'), { recursive: true })

function eqm(...args: string[]) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/eqm.mjs'), ...args, '--models', models], { encoding: 'utf8', timeout: 60_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, lines: result.stdout.trim().split('\n').filter(Boolean) }
}

function writePng(path: string, width: number, height: number, value: (x: number, y: number) => number): void {
  const png = new PNG({ width, height })
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      png.data[i] = png.data[i + 1] = png.data[i + 2] = value(x, y)
      png.data[i + 3] = 255
    }
  writeFileSync(path, PNG.sync.write(png))
}

describe('eqm CLI', () => {
  it('generate writes PNGs with parameters and prints one JSON line per image', () => {
    const out = join(work, 'gen')
    const { code, lines } = eqm('generate', '--class', 'light', '--count', '3', '--seed', '11', '--out', out, '--sampler', 'nag', '--steps', '40')
    expect(code).toBe(0)
    expect(lines).toHaveLength(3)
    const first = JSON.parse(lines[0])
    expect(first).toMatchObject({ class: 'light', classIndex: 2, seed: 11 })
    expect(Object.keys(first).sort()).toEqual(['class', 'classIndex', 'file', 'gradNorm', 'seed', 'steps'])
    const params = JSON.parse(readPngText(readFileSync(first.file))!)
    expect(params).toMatchObject({ seed: 11, sampler: { method: 'nag', maxSteps: 40 } })
  })

  it('compose takes weighted classes', () => {
    const { code, lines } = eqm('compose', '--class', 'dark:0.5', '--class', 'light:0.5', '--seed', '1', '--out', join(work, 'compose'))
    expect(code).toBe(0)
    expect(JSON.parse(lines[0]).classes).toEqual([
      { class: 'dark', classIndex: 0, weight: 0.5 },
      { class: 'light', classIndex: 2, weight: 0.5 }
    ])
  })

  it('repair keeps unmasked pixels and ood scores images', () => {
    const photo = join(work, 'photo.png')
    const mask = join(work, 'mask.png')
    writePng(photo, 32, 32, () => 60)
    writePng(mask, 32, 32, (x) => (x < 16 ? 255 : 0))
    const out = join(work, 'repaired.png')
    const repaired = eqm('repair', '--in', photo, '--mask', mask, '--strength', '0.7', '--class', 'light', '--out', out, '--seed', '2')
    expect(repaired.code).toBe(0)
    const png = PNG.sync.read(readFileSync(out))
    expect(png.data[(0 * 8 + 7) * 4]).toBe(60)
    const ood = eqm('ood', out, photo, '--json')
    expect(ood.code).toBe(0)
    expect(ood.lines.map((l) => Object.keys(JSON.parse(l)).sort())).toEqual([
      ['file', 'flagged', 'percentile', 'score'],
      ['file', 'flagged', 'percentile', 'score']
    ])
  })

  it("compose and repair start from the model's studio defaults, and flags override them", () => {
    const root = join(work, 'models-studio')
    cpSync(join(FIXTURE_MODELS, 'quadratic'), join(root, 'quadratic'), { recursive: true })
    const manifestPath = join(root, 'quadratic', 'manifest.json')
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, studio: { repair: { strength: 0.3 }, compose: { weight: 0.25, cfg: 1.5 } } }))
    const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/eqm.mjs'), ...args, '--models', root], { encoding: 'utf8', timeout: 60_000 })
    const params = (file: string) => JSON.parse(readPngText(readFileSync(file))!)

    const composed = run('compose', '--class', 'dark', '--class', 'light:0.5', '--count', '1', '--seed', '3', '--out', join(work, 'studio-compose'))
    expect(composed.status, composed.stderr).toBe(0)
    const line = JSON.parse(composed.stdout.trim())
    expect(line.classes.map((c: { weight: number }) => c.weight)).toEqual([0.25, 0.5])
    expect(params(line.file).sampler.cfg).toBe(1.5)
    const overridden = run('compose', '--class', 'dark', '--class', 'light', '--cfg', '2', '--count', '1', '--seed', '3', '--out', join(work, 'studio-compose-2'))
    expect(params(JSON.parse(overridden.stdout.trim()).file).sampler.cfg).toBe(2)

    const photo = join(work, 'studio-photo.png')
    const mask = join(work, 'studio-mask.png')
    writePng(photo, 8, 8, () => 60)
    writePng(mask, 8, 8, (x) => (x < 4 ? 255 : 0))
    const repaired = run('repair', '--in', photo, '--mask', mask, '--seed', '1', '--out', join(work, 'studio-repaired.png'))
    expect(repaired.status, repaired.stderr).toBe(0)
    expect(params(join(work, 'studio-repaired.png'))).toMatchObject({ strength: 0.3, holdUnmasked: true })
  })

  it("--sampler moves to that method's benchmarked setting (manifest samplerPresets), and other flags still override it", () => {
    const root = join(work, 'models-presets')
    cpSync(join(FIXTURE_MODELS, 'quadratic'), join(root, 'quadratic'), { recursive: true })
    const manifestPath = join(root, 'quadratic', 'manifest.json')
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
    const clock = { ...manifest.sampler, method: 'clock', maxSteps: 7, cfg: 2, farCfg: 1, farUntilTime: 0.4 }
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, sampler: clock, samplerPresets: { nag: { method: 'nag', maxSteps: 30, cfg: 3 } } }))
    const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/eqm.mjs'), ...args, '--models', root], { encoding: 'utf8', timeout: 60_000 })
    const sampler = (args: string[], out: string) => {
      const result = run('generate', '--class', 'light', '--count', '1', '--seed', '1', '--out', join(work, out), ...args)
      expect(result.status, result.stderr).toBe(0)
      return JSON.parse(readPngText(readFileSync(JSON.parse(result.stdout.trim()).file))!).sampler
    }
    expect(sampler([], 'presets-default')).toMatchObject({ method: 'clock', maxSteps: 7, cfg: 2 })
    expect(sampler(['--sampler', 'nag'], 'presets-nag')).toMatchObject({ method: 'nag', maxSteps: 30, cfg: 3 })
    expect(sampler(['--sampler', 'nag', '--steps', '12'], 'presets-nag-12')).toMatchObject({ method: 'nag', maxSteps: 12, cfg: 3 })
    // no preset for GD: only the method changes
    expect(sampler(['--sampler', 'gd'], 'presets-gd')).toMatchObject({ method: 'gd', maxSteps: 7, cfg: 2 })
  })

  it.each([
    [['generate', '--class', 'nope', '--out', 'x'], /unknown class "nope"/],
    [['generate', '--class', '9', '--out', 'x'], /unknown class 9: the model has classes 0-3/],
    [['generate', '--class', 'light', '--steps', 'abc', '--out', 'x'], /--steps must be a number, got "abc"/],
    [['generate', '--class', 'light', '--count', '0', '--out', 'x'], /--count must be a whole number from 1 to 256/],
    [['generate', '--class', 'light', '--model', 'other', '--out', 'x'], /unknown model "other"/],
    [['generate', '--class', 'light'], /--out is required/],
    [['generate', '--clas', 'light'], /Unknown option '--clas'/],
    [['ood', '/no/such/file.png'], /\/no\/such\/file.png does not exist/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['generate', '--class', 'light', '--cpu-precision', 'int4', '--out', 'x'], /--cpu-precision must be one of fp32, int8, got "int4"/]
  ])('%j fails with one clear line', (args, message) => {
    const { code, stderr } = eqm(...(args as string[]))
    expect(code).not.toBe(0)
    const lines = stderr.split('\n').filter((l) => l.startsWith('eqm:'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
    expect(stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('--cpu-precision int8 is in the help, runs the shipped model int8 and says so in the PNG, keeping the int8 model in the user-data folder for the next run; a model with nothing to quantise stays fp32', () => {
    const help = eqm('--help')
    expect(help.stdout).toMatch(/--cpu-precision P\s+The number format/)
    const userData = join(work, 'int8-user-data')
    const run = (out: string) =>
      eqm('generate', '--models', SHIPPED_MODELS, '--model', 'fashion-mnist', '--class', 'Sneaker', '--steps', '5', '--seed', '4', '--provider', 'cpu', '--cpu-precision', 'int8', '--user-data', userData, '--out', join(work, out))
    const int8 = run('int8')
    expect(int8.code).toBe(0)
    const png = (result: typeof int8) => readFileSync(JSON.parse(result.lines[0]).file)
    expect(JSON.parse(readPngText(png(int8))!)).toMatchObject({ precision: 'int8', provider: 'cpu' })
    // the second run reads the int8 model the first one kept (user-data.ts int8CacheDir), and draws the same image
    const index = () => JSON.parse(readFileSync(join(userData, 'int8-cache', 'index.json'), 'utf8')) as { entries: Record<string, { hits: number }> }
    expect(Object.values(index().entries)).toEqual([expect.objectContaining({ hits: 0 })])
    const again = run('int8-again')
    expect(again.code).toBe(0)
    expect(Object.values(index().entries)).toEqual([expect.objectContaining({ hits: 1 })])
    expect(png(again).equals(png(int8))).toBe(true)
    // the quadratic fixture has no MatMul or Gemm: it runs fp32, and its results do not claim int8
    const plain = eqm('generate', '--class', 'light', '--seed', '4', '--steps', '5', '--cpu-precision', 'int8', '--user-data', userData, '--out', join(work, 'int8-quadratic'))
    expect(plain.code).toBe(0)
    expect(JSON.parse(readPngText(readFileSync(JSON.parse(plain.lines[0]).file))!).precision).toBeUndefined()
  })

  it('refuses a corrupt image by name', () => {
    const bad = join(work, 'bad.png')
    writePng(bad, 16, 16, (x, y) => x * y)
    writeFileSync(bad, readFileSync(bad).subarray(0, 50)) // header intact, image data cut off
    const { code, stderr } = eqm('ood', bad)
    expect(code).toBe(1)
    expect(stderr).toMatch(/bad.png: corrupt or unsupported image/)
  })

  it('without --models, the built CLI uses the models/ folder at the package root', () => {
    // the bundler may put the path code in a shared chunk (out/main/chunks/), so check the
    // built output itself, as `npx eqm` and `npm run web` run it
    const built = join(ROOT, 'out', 'main', 'cli.js')
    expect(existsSync(built), 'npm run build first (npm test does)').toBe(true)
    const result = spawnSync(process.execPath, [built, 'models'], { encoding: 'utf8', timeout: 60_000 })
    expect(result.status, result.stderr).toBe(0)
    const listed = JSON.parse(result.stdout) as { models: { id: string }[] }
    const shipped = readdirSync(SHIPPED_MODELS).filter((d) => existsSync(join(SHIPPED_MODELS, d, 'manifest.json')))
    expect(shipped.length).toBeGreaterThan(0)
    expect(listed.models.map((m) => m.id).sort()).toEqual(expect.arrayContaining(shipped))
  })

  it('defaultModelsRoot finds the package root from any folder below it', () => {
    expect(defaultModelsRoot(join(ROOT, 'out', 'main', 'chunks'))).toBe(SHIPPED_MODELS)
    expect(defaultModelsRoot(join(ROOT, 'out', 'main'))).toBe(SHIPPED_MODELS)
  })
})
