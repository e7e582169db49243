import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { PNG } from 'pngjs'
import { test, expect } from './support/fixtures'
import { ROOT } from './support/web-server'

// "Calibrate on my images": the model's OOD score and threshold fitted on the user's own
// in-distribution images (kept in the user-data folder), shown as what it was fitted on,
// and reset to the model's own.
const FASHION_TEST = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'
/** the embedded model's own score, as its manifest names it */
const SHIPPED_SCORE = (JSON.parse(readFileSync(join(ROOT, 'models', 'fashion-mnist', 'manifest.json'), 'utf8')) as { ood: { score: string } }).ood.score

/** A folder of in-distribution images (held-out Fashion-MNIST test images where the dataset is installed). */
function writeImages(count: number): string {
  const folder = mkdtempSync(join(tmpdir(), 'eqm-calibrate-'))
  const real = existsSync(FASHION_TEST) ? gunzipSync(readFileSync(FASHION_TEST)) : null
  Array.from({ length: count }, (_, i) => {
    const png = new PNG({ width: 28, height: 28 })
    for (let p = 0; p < 784; p++) {
      const v = real ? real[16 + (9000 + i) * 784 + p] : 120 + ((i * 7 + p) % 16)
      png.data[p * 4] = png.data[p * 4 + 1] = png.data[p * 4 + 2] = v
      png.data[p * 4 + 3] = 255
    }
    const file = join(folder, `img-${i}.png`)
    writeFileSync(file, PNG.sync.write(png))
  })
  return folder
}

test('calibrate the OOD check on my own images, then reset to the model’s own', async ({ studio: page }) => {
  await page.getByTestId('tool-ood').click()
  const before = await page.getByTestId('ood-threshold-value').textContent()
  await page.getByTestId('ood-calibrate-folder').setInputFiles(writeImages(40))
  await expect(page.getByTestId('ood-calibrate-message')).toContainText('Calibrated on 40 of your images', { timeout: 60_000 })
  await expect(page.getByTestId('ood-calibrated-on')).toContainText('40 images')
  await expect(page.getByTestId('ood-threshold-value')).not.toHaveText(before ?? '')
  await page.getByTestId('ood-calibrate-reset').click()
  await expect(page.getByTestId('ood-calibrate-message')).toContainText('Back to the model’s own calibration')
  await expect(page.getByTestId('ood-threshold-value')).toHaveText(before ?? '')
  await expect(page.getByTestId('ood-calibrate-reset')).toHaveCount(0)
})

test('calibrate for another score: the classifier variant, picked beside the button, is what the panel then explains', async ({ studio: page }) => {
  await page.getByTestId('tool-ood').click()
  const pick = page.getByTestId('ood-calibrate-score')
  // the embedded model's own score is preselected; the variant is offered (it has files.ood and a classifier)
  await expect(pick).toHaveValue(SHIPPED_SCORE)
  await pick.selectOption('mahalanobis-align-pair-classifier')
  await page.getByTestId('ood-calibrate-folder').setInputFiles(writeImages(40))
  await expect(page.getByTestId('ood-calibrate-message')).toContainText('Calibrated on 40 of your images', { timeout: 60_000 })
  await expect(page.getByTestId('ood-explanation')).toContainText('how the model’s classifier sees the image')
  await expect(pick).toHaveValue('mahalanobis-align-pair-classifier')
  await page.getByTestId('ood-calibrate-reset').click()
  await expect(page.getByTestId('ood-calibrate-message')).toContainText('Back to the model’s own calibration')
  await expect(page.getByTestId('ood-explanation')).not.toContainText('classifier sees the image')
})
