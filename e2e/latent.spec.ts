import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test as base, expect } from '@playwright/test'
import { startServer } from './support/web-server'
import { canImport, importTinyLatentModel } from '../test/support/latent-models'

/**
 * A latent model in the browser-mode studio: a random-weight model and VAE built by the importers
 * from the tiny fixtures (decodes to 16x16 RGB), beside a copy that names a VAE nobody imported.
 * Full-size photo repair in the studio: e2e/latent-photo-repair.spec.ts.
 */
const test = base
test.skip(!canImport(), 'the importers need a Python with torch and onnx')

test('latent model: switch to it, generate decoded RGB images; a model without its VAE says what to import', async ({ page }) => {
  test.setTimeout(180_000)
  const { root, modelId } = importTinyLatentModel()
  const orphan = join(root, 'needs-vae')
  mkdirSync(orphan)
  cpSync(join(root, modelId, 'gradient.onnx'), join(orphan, 'gradient.onnx'))
  const manifest = JSON.parse(readFileSync(join(root, modelId, 'manifest.json'), 'utf8'))
  writeFileSync(join(orphan, 'manifest.json'), JSON.stringify({ ...manifest, id: 'needs-vae', title: 'Needs a VAE', latent: { ...manifest.latent, vae: 'sd-vae-ft-mse' } }))
  const server = await startServer([root])
  try {
    await page.goto(server.url)
    await expect(page.getByTestId('engine-state')).toContainText('engine ready')
    const switcher = page.getByTestId('model-select')
    await expect(switcher).toHaveValue(modelId) // the runnable one is chosen first
    await page.getByTestId('class-select').selectOption({ label: 'class 4' })
    await page.getByTestId('generate').click()
    await expect(page.getByTestId('gallery-item')).toHaveCount(4, { timeout: 90_000 })
    const size = await page.getByTestId('gallery-item').first().locator('img').evaluate(async (img: HTMLImageElement) => {
      await img.decode()
      return [img.naturalWidth, img.naturalHeight]
    })
    expect(size).toEqual([16, 16])

    await switcher.selectOption('needs-vae')
    await expect(page.getByTestId('model-unavailable')).toContainText('eqm import-vae DIR --id sd-vae-ft-mse')
  } finally {
    await server.stop()
  }
})
