import { test, expect } from './support/fixtures'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { ROOT } from './support/web-server'

// "Add model…" in browser mode: a path on the server's machine goes to the engine's importer
// (the same as `eqm import`), then the model list is reloaded.
const FIXTURES = join(ROOT, 'test', 'fixtures')
const torch = spawnSync(process.env.EQM_PYTHON ?? '/usr/bin/python3', ['-c', 'import torch, onnx'], { encoding: 'utf8' }).status === 0

test('Add model imports a VAE and a checkpoint from paths, says what happened, and refuses a missing file by name', async ({ studio: page }, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'the desktop picks files with a native dialog a test cannot click')
  test.skip(!torch, 'importing needs a Python with torch and onnx (apt install python3-torch python3-onnx)')
  await page.getByTestId('add-model').click()
  await page.getByTestId('add-model-source').fill('/no/such/file.pt')
  await page.getByTestId('add-model-source').press('Enter')
  await expect(page.getByTestId('add-model-message')).toContainText('/no/such/file.pt does not exist')

  await page.getByTestId('add-model-kind-vae').click()
  await page.getByTestId('add-model-source').fill(join(FIXTURES, 'vae', 'tiny-vae'))
  await page.getByTestId('add-model-id').fill('sd-vae-ft-ema')
  await page.getByTestId('add-model-run').click()
  await expect(page.getByTestId('add-model-message')).toContainText('Added VAE "sd-vae-ft-ema"', { timeout: 120_000 })

  await page.getByTestId('add-model-kind-model').click()
  await page.getByTestId('add-model-source').fill(join(FIXTURES, 'eqm-import', 'tiny-train-sigma.pt'))
  await page.getByTestId('add-model-id').fill('tiny-imported')
  await page.getByTestId('add-model-heads').fill('4')
  await page.getByTestId('add-model-run').click()
  await expect(page.getByTestId('add-model-message')).toContainText('Added model "tiny-imported"', { timeout: 120_000 })
  await expect(page.getByTestId('add-model-message')).not.toContainText('add that VAE next')
})

test('the Add model panel opens with the path field focused and closes with Esc, which does not cancel the running job', async ({ studio: page }) => {
  await page.getByTestId('count').fill('64')
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('progress')).toBeVisible()
  await page.getByTestId('add-model').click()
  await expect(page.getByTestId('add-model-source')).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('add-model-dialog')).toHaveCount(0)
  await expect(page.getByTestId('add-model')).toBeVisible()
  // the studio's own Esc would have cancelled the job: it runs to its 64 results
  await expect(page.getByTestId('gallery-item')).toHaveCount(64, { timeout: 60_000 })
})
