import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, expect, setNumber, isDesktop } from './support/fixtures'
import { testPhoto } from './support/photos'

test('a page reload restores the session: gallery, settings and the repair document', async ({ studio: page }) => {
  await page.getByTestId('class-select').selectOption({ index: 2 })
  await setNumber(page, 'count', 2)
  await setNumber(page, 'max-steps', 30)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(2)
  const seeds = await page.getByTestId('gallery-item').evaluateAll((items) => items.map((i) => i.getAttribute('data-seed')))

  const photo = await testPhoto()
  const dir = mkdtempSync(join(tmpdir(), 'eqm-session-'))
  writeFileSync(join(dir, 'p.png'), photo.png)
  await page.getByTestId('tool-repair').click()
  await page.getByTestId('repair-import').setInputFiles(join(dir, 'p.png'))
  const box = (await page.getByTestId('repair-canvas').boundingBox())!
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width / 2 + 30, box.y + box.height / 2 + 30, { steps: 4 })
  await page.mouse.up()
  await expect(page.getByTestId('repair-canvas')).toHaveAttribute('data-strokes', '1')

  await page.waitForTimeout(1500) // autosave is debounced
  await page.reload()
  await expect(page.getByTestId('repair-canvas')).toHaveAttribute('data-strokes', '1')
  await expect(page.getByTestId('model-view')).toContainText('p.png')
  await expect(page.getByTestId('gallery-item')).toHaveCount(2)
  expect(await page.getByTestId('gallery-item').evaluateAll((items) => items.map((i) => i.getAttribute('data-seed')))).toEqual(seeds)
  await page.getByTestId('undo').click()
  await expect(page.getByTestId('repair-canvas')).toHaveAttribute('data-strokes', '0')
  await page.getByTestId('tool-generate').click()
  await expect(page.getByTestId('class-select')).toHaveValue('2')
  await expect(page.getByTestId('count')).toHaveValue('2')
})

test('export then open restores the parameters', async ({ studio: page }, testInfo) => {
  // the desktop app exports through a native save dialog, which a test cannot click
  test.skip(isDesktop(testInfo.project.name), 'export uses the native save dialog in the desktop app')
  await page.getByTestId('class-select').selectOption({ index: 1 })
  await setNumber(page, 'count', 1)
  await setNumber(page, 'max-steps', 25)
  await page.getByTestId('generate').click()
  const item = page.getByTestId('gallery-item').first()
  await expect(item).toBeVisible()
  const seed = await item.getAttribute('data-seed')

  const download = page.waitForEvent('download')
  await item.getByTestId('export-png').click()
  const file = join(mkdtempSync(join(tmpdir(), 'eqm-export-')), 'exported.png')
  await (await download).saveAs(file)

  // change everything the PNG should bring back
  await page.getByTestId('class-select').selectOption({ index: 0 })
  await setNumber(page, 'seed', 12345)
  await setNumber(page, 'max-steps', 7)
  await page.getByTestId('open-png').setInputFiles(file)
  await expect(page.getByTestId('gallery-item')).toHaveCount(2)
  await expect(page.getByTestId('class-select')).toHaveValue('1')
  await expect(page.getByTestId('seed')).toHaveValue(seed!)
  await expect(page.getByTestId('max-steps')).toHaveValue('25')
  await expect(page.getByTestId('lock-seed')).toBeChecked()
})

test('opening a PNG without parameters says so and changes nothing', async ({ studio: page }) => {
  const photo = await testPhoto()
  const file = join(mkdtempSync(join(tmpdir(), 'eqm-open-')), 'plain.png')
  writeFileSync(file, photo.png)
  await page.getByTestId('open-png').setInputFiles(file)
  await expect(page.getByTestId('notice')).toContainText('plain.png: this PNG has no EqM Studio parameters')
  await expect(page.getByTestId('gallery-item')).toHaveCount(0)
})
