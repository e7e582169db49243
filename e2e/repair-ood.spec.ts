import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { test, expect } from './support/fixtures'
import { SeededRandom } from '../src/engine/rng'
import { testPhoto } from './support/photos'

/** Issue 8, finding 5: a photo unlike the model's data is flagged, and no unsure class is suggested. */

function colourNoisePng(size: number): Buffer {
  const random = new SeededRandom(5)
  const png = new PNG({ width: size, height: size })
  for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : random.nextUint32() & 255
  return PNG.sync.write(png)
}

test('an imported photo flagged out-of-distribution gets a warning and no class suggestion; a typical one gets neither warning', async ({ studio: page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'eqm-repair-ood-'))
  writeFileSync(join(dir, 'noise.png'), colourNoisePng(96))
  await page.getByTestId('tool-repair').click()
  await page.getByTestId('repair-import').setInputFiles(join(dir, 'noise.png'))
  await expect(page.getByTestId('ood-warning')).toBeVisible()
  await expect(page.getByTestId('ood-warning')).toContainText('unlike anything')
  await expect(page.getByTestId('class-suggestion')).toHaveCount(0)

  const photo = await testPhoto()
  writeFileSync(join(dir, 'typical.png'), photo.png)
  await page.getByTestId('repair-import').setInputFiles(join(dir, 'typical.png'))
  await expect(page.getByTestId('model-view')).toContainText('typical.png')
  await expect(page.getByTestId('class-suggestion').or(page.getByTestId('class-unsure'))).toBeVisible()
  await expect(page.getByTestId('ood-warning')).toHaveCount(0)
})
