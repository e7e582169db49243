import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { modelManifestSchema } from '../src/shared/manifest'
import { vaeManifestSchema } from '../src/shared/vae-manifest'
import { scanModels, describeModel } from '../src/engine/model-registry'
import { findPython } from '../src/engine/model-import'
import { ROOT } from './support/paths'

const FIXTURES = join(ROOT, 'test', 'fixtures')
const work = mkdtempSync(join(tmpdir(), 'eqm-import-'))
const root = join(work, 'models')

function hasTorch(): boolean {
  try {
    findPython()
    return true
  } catch {
    return false
  }
}
const NO_TORCH = !hasTorch()

function eqm(...args: string[]) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/eqm.mjs'), ...args], { encoding: 'utf8', timeout: 300_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe.skipIf(NO_TORCH)('eqm import (needs a Python with torch and onnx; skipped without one)', () => {
  it('imports a reference training checkpoint whose gradient ONNX matches the reference forward', async () => {
    const { code, stdout, stderr } = eqm('import', join(FIXTURES, 'eqm-import', 'tiny-train-sigma.pt'), '--models', root, '--heads', '4', '--id', 'tiny')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary).toMatchObject({ id: 'tiny', folder: join(root, 'tiny'), files: ['gradient.onnx', 'manifest.json'] })
    expect(summary.needsVae).toContain('eqm import-vae')
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(root, 'tiny', 'manifest.json'), 'utf8')))
    expect(manifest).toMatchObject({ space: 'latent', shape: [4, 8, 8], nullClass: 10, latent: { vae: 'sd-vae-ft-ema', scale: 0.18215, imageShape: [3, 64, 64] } })
    expect(manifest.provenance).toMatchObject({ file: 'tiny-train-sigma.pt', weights: 'ema' })
    expect(manifest.provenance.sha256).toMatch(/^[0-9a-f]{64}$/)

    const ref = JSON.parse(readFileSync(join(FIXTURES, 'eqm-import', 'tiny-train-sigma.json'), 'utf8'))
    const session = await ort.InferenceSession.create(join(root, 'tiny', 'gradient.onnx'))
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from(ref.x), ref.shape),
      y: new ort.Tensor('int64', BigInt64Array.from(ref.y.map(BigInt)), [ref.shape[0]])
    })
    const grad = out.grad.data as Float32Array
    let maxDiff = 0
    for (let i = 0; i < grad.length; i++) maxDiff = Math.max(maxDiff, Math.abs(grad[i] - ref.grad[i]))
    expect(grad.length).toBe(ref.grad.length)
    expect(maxDiff).toBeLessThan(2e-5)
    await session.release()
  }, 300_000)

  it('imports the VAE into ROOT/vae/<id>; a model imported before it keeps the checkpoint image size, which the tiny VAE does not fit', () => {
    const { code, stdout } = eqm('import-vae', join(FIXTURES, 'vae', 'tiny-vae'), '--models', root, '--id', 'sd-vae-ft-ema')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ id: 'sd-vae-ft-ema', folder: join(root, 'vae', 'sd-vae-ft-ema') })
    const vae = vaeManifestSchema.parse(JSON.parse(readFileSync(join(root, 'vae', 'sd-vae-ft-ema', 'vae.json'), 'utf8')))
    expect(vae.preview.matrix).toHaveLength(3)
    const { models, problems } = scanModels([root])
    expect(problems).toEqual([])
    expect(models.map((m) => m.manifest.id)).toEqual(['tiny'])
    // imported before its VAE: the manifest says 64x64 (8x downscale), the tiny VAE decodes 2x
    expect(describeModel(models[0]).unavailable).toMatch(/decodes a 8x8 latent to 16x16, the model expects 64x64/)
  }, 300_000)

  it('never overwrites a folder, and refuses what the checkpoint cannot say', () => {
    const keep = join(work, 'taken')
    mkdirSync(keep)
    writeFileSync(join(keep, 'mine.txt'), 'mine')
    const taken = eqm('import', join(FIXTURES, 'eqm-import', 'tiny-train-sigma.pt'), '--out', keep, '--heads', '4')
    expect(taken.code).toBe(2)
    expect(taken.stderr).toContain('never overwrites')
    expect(readFileSync(join(keep, 'mine.txt'), 'utf8')).toBe('mine')
    const bare = eqm('import', join(FIXTURES, 'eqm-import', 'tiny-bare-nosigma.pt'), '--out', join(work, 'bare'), '--heads', '4')
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain('pass --ebm none|l2|dot|mean')
    expect(existsSync(join(work, 'bare'))).toBe(false)
  }, 300_000)
})

describe('finding Python for the importer', () => {
  it('names every candidate it tried and the install command when none imports torch', () => {
    expect(() => findPython({}, [['/nonexistent/python3', 'EQM_PYTHON'], [process.execPath, 'node posing as python']])).toThrow(
      /EQM_PYTHON \(not found\).*node posing as python.*pip install torch onnx/
    )
  })
})
