import { describe, expect, it } from 'vitest'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Engine } from '../src/engine/engine'
import { FIXTURE_MODELS } from './support/paths'

// An imported latent model (as `eqm import` writes it) whose VAE is not imported, beside a pixel model:
// listed with the VAE to import, never chosen by default, and a job on it is refused by name.
const root = mkdtempSync(join(tmpdir(), 'eqm-latent-'))
cpSync(join(FIXTURE_MODELS, 'quadratic'), join(root, 'quadratic'), { recursive: true })
const latent = join(root, 'a-imported-latent')
mkdirSync(latent)
cpSync(join(FIXTURE_MODELS, 'quadratic', 'grad.onnx'), join(latent, 'gradient.onnx'))
const pixel = JSON.parse(readFileSync(join(FIXTURE_MODELS, 'quadratic', 'manifest.json'), 'utf8'))
writeFileSync(join(latent, 'manifest.json'), JSON.stringify({
  ...pixel, id: 'imported-latent', title: 'Imported latent', space: 'latent', files: { gradient: 'gradient.onnx' },
  latent: { vae: 'sd-vae-ft-ema', scale: 0.18215, imageShape: [3, 64, 64] }, ood: null
}))
mkdirSync(join(root, '.half-done.partial-1'))
writeFileSync(join(root, '.half-done.partial-1', 'manifest.json'), JSON.stringify({ ...pixel, id: 'half-done' }))

describe('an imported latent model in the engine', () => {
  const engine = new Engine({ modelRoots: [root] })

  it('is listed with the VAE it needs, and not chosen when no model is named', () => {
    const listed = engine.listModels()
    expect(listed.map((m) => m.id)).toEqual(['imported-latent', 'quadratic'])
    expect(listed[0].unavailable).toBe('needs the VAE "sd-vae-ft-ema", which is not imported: run eqm import-vae DIR --id sd-vae-ft-ema (DIR: the diffusers folder of sd-vae-ft-ema)')
    expect(listed[0]).toMatchObject({ vae: 'sd-vae-ft-ema', imageShape: [3, 64, 64] })
    expect(listed[1].unavailable).toBeUndefined()
    expect(engine.model(undefined).manifest.id).toBe('quadratic')
  })

  it('refuses a job on it with the reason, by name', async () => {
    await expect(engine.field(engine.model('imported-latent'))).rejects.toThrow(/imported-latent cannot run jobs: needs the VAE "sd-vae-ft-ema"/)
  })
})
