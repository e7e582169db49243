import { readFileSync } from 'node:fs'
import { PNG } from 'pngjs'
import { test, expect, setNumber, isDesktop } from './support/fixtures'
import { readPngText } from '../src/shared/png-text'

/** Issue 8, the history: export at the model's size and enlarged x4/x8 (nearest), the parameters chunk in both. */
test('an x8 export is every pixel an 8x8 block of the model-size one, with the same parameters', async ({ studio: page }, testInfo) => {
  test.skip(isDesktop(testInfo.project.name), 'export uses the native save dialog in the desktop app')
  await setNumber(page, 'count', 1)
  await setNumber(page, 'max-steps', 10)
  await page.getByTestId('generate').click()
  const item = page.getByTestId('gallery-item').first()
  await expect(item).toBeVisible()
  const save = async () => {
    const download = page.waitForEvent('download')
    await item.getByTestId('export-png').click()
    const file = test.info().outputPath((await download).suggestedFilename())
    await (await download).saveAs(file)
    return { name: (await download).suggestedFilename(), bytes: readFileSync(file) }
  }
  const small = await save()
  await page.getByTestId('export-scale').selectOption('8')
  const large = await save()
  expect(large.name).toMatch(/-x8\.png$/)
  const a = PNG.sync.read(small.bytes)
  const b = PNG.sync.read(large.bytes)
  expect([b.width, b.height]).toEqual([a.width * 8, a.height * 8])
  for (let y = 0; y < b.height; y += 3) {
    for (let x = 0; x < b.width; x += 5) {
      const big = (y * b.width + x) * 4
      const px = (Math.floor(y / 8) * a.width + Math.floor(x / 8)) * 4
      expect(b.data[big]).toBe(a.data[px])
    }
  }
  const params = readPngText(small.bytes)
  expect(params).not.toBeNull()
  expect(readPngText(large.bytes)).toBe(params)
})
