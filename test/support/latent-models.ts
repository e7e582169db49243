import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findPython } from '../../src/engine/model-import'
import { ROOT } from './paths'

/** True when a Python with torch and onnx is at hand (the importers need one). */
export function canImport(): boolean {
  try {
    findPython()
    return true
  } catch {
    return false
  }
}

export function eqm(...args: string[]) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/eqm.mjs'), ...args], { encoding: 'utf8', timeout: 300_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, lines: result.stdout.trim().split('\n').filter(Boolean) }
}

/**
 * A models root holding a random-weight latent model and its VAE, both built by the importers
 * from the tiny reference fixtures: latent 4x8x8, 10 classes, a VAE that decodes 2x (16x16 RGB).
 */
export function importTinyLatentModel(): { root: string; modelId: string } {
  const root = join(mkdtempSync(join(tmpdir(), 'eqm-latent-')), 'models')
  const fixtures = join(ROOT, 'test', 'fixtures')
  const vae = eqm('import-vae', join(fixtures, 'vae', 'tiny-vae'), '--models', root, '--id', 'sd-vae-ft-ema')
  if (vae.code !== 0) throw new Error(`eqm import-vae failed: ${vae.stderr}`)
  const model = eqm('import', join(fixtures, 'eqm-import', 'tiny-train-sigma.pt'), '--models', root, '--heads', '4', '--id', 'tiny-latent')
  if (model.code !== 0) throw new Error(`eqm import failed: ${model.stderr}`)
  return { root, modelId: 'tiny-latent' }
}

/**
 * A tiny latent model with ImageNet's 1000 classes (and their names, from the importer): the tiny
 * bare fixture with its class table widened to 1001 rows (random), imported beside the tiny VAE.
 */
export function importTinyImageNetModel(): { root: string; modelId: string } {
  const { root } = importTinyLatentModel()
  const checkpoint = join(mkdtempSync(join(tmpdir(), 'eqm-in1k-')), 'tiny-in1k.pt')
  const source = join(ROOT, 'test', 'fixtures', 'eqm-import', 'tiny-bare-nosigma.pt')
  const script = [
    'import sys, torch',
    'd = torch.load(sys.argv[1])',
    'g = torch.Generator().manual_seed(0)',
    'k = "y_embedder.embedding_table.weight"',
    'd[k] = torch.randn(1001, d[k].shape[1], generator=g)',
    'torch.save(d, sys.argv[2])'
  ].join('\n')
  const built = spawnSync(findPython(), ['-c', script, source, checkpoint], { encoding: 'utf8', timeout: 120_000 })
  if (built.status !== 0) throw new Error(`building the 1000-class checkpoint failed: ${built.stderr}`)
  const model = eqm('import', checkpoint, '--models', root, '--heads', '4', '--ebm', 'none', '--id', 'tiny-in1k')
  if (model.code !== 0) throw new Error(`eqm import failed: ${model.stderr}`)
  return { root, modelId: 'tiny-in1k' }
}
