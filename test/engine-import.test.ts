import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Engine } from '../src/engine/engine'
import { findPython } from '../src/engine/model-import'
import { ROOT } from './support/paths'

// The studio's "Add model…": the engine runs the same importer as `eqm import`, into its
// user-data models folder, and lists the result at once.
const FIXTURES = join(ROOT, 'test', 'fixtures')
const NO_TORCH = (() => {
  try {
    findPython()
    return false
  } catch {
    return true
  }
})()
const importRoot = mkdtempSync(join(tmpdir(), 'eqm-add-model-'))
const engine = new Engine({ modelRoots: [importRoot], importRoot, provider: 'cpu' })
afterAll(() => engine.dispose())

describe.skipIf(NO_TORCH)('models.import (needs a Python with torch and onnx; skipped without one)', () => {
  it('imports a VAE and a checkpoint into the import root, lists the model, and never overwrites', async () => {
    const vae = await engine.call('models.import', { kind: 'vae', source: join(FIXTURES, 'vae', 'tiny-vae'), id: 'sd-vae-ft-ema' })
    expect(vae.folder).toBe(join(importRoot, 'vae', 'sd-vae-ft-ema'))
    const model = await engine.call('models.import', { kind: 'model', source: join(FIXTURES, 'eqm-import', 'tiny-train-sigma.pt'), heads: 4, id: 'tiny' })
    expect(model).toMatchObject({ id: 'tiny', folder: join(importRoot, 'tiny') })
    expect(model.needsVae).toBeUndefined()
    const { models } = await engine.call('models.list', {})
    expect(models.map((m) => m.id)).toContain('tiny')
    await expect(engine.call('models.import', { kind: 'model', source: join(FIXTURES, 'eqm-import', 'tiny-train-sigma.pt'), heads: 4, id: 'tiny' })).rejects.toThrow(
      /already exists; importing never overwrites a folder/
    )
  }, 300_000)
})

describe('models.import refusals', () => {
  it('refuses a source that does not exist, by name, and an engine with nowhere to import to', async () => {
    await expect(engine.call('models.import', { kind: 'model', source: '/no/such/checkpoint.pt' })).rejects.toThrow(/\/no\/such\/checkpoint.pt does not exist/)
    const bare = new Engine({ modelRoots: [] })
    await expect(bare.call('models.import', { kind: 'vae', source: FIXTURES })).rejects.toThrow(/without a user-data models folder/)
    await expect(bare.call('models.import', { kind: 'vae', source: FIXTURES, id: '../up' })).rejects.toThrow(/id/)
  })
})
