import { test, expect, setNumber } from './support/fixtures'

test('history: filter by tool and class, search by seed and class, view one result full size with zoom', async ({ studio: page }) => {
  const classes = await page.getByTestId('class-select').locator('option').allTextContents()
  await setNumber(page, 'max-steps', 20)
  await page.getByTestId('class-select').selectOption({ index: 1 })
  await setNumber(page, 'count', 2)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(2)
  await page.getByTestId('class-select').selectOption({ index: 2 })
  await setNumber(page, 'count', 1)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(3)
  const items = page.getByTestId('gallery-item')

  // class filter: the two of class 1
  await page.getByTestId('gallery-filter-class').selectOption({ label: classes[1] })
  await expect(items).toHaveCount(2)
  await expect(page.getByTestId('gallery-count')).toHaveText('2 of 3 results')
  // tool filter: nothing was composed
  await page.getByTestId('gallery-filter-tool').selectOption('compose')
  await expect(items).toHaveCount(0)
  await expect(page.getByTestId('gallery-none')).toBeVisible()
  await page.getByTestId('gallery-filter-tool').selectOption('generate')
  await page.getByTestId('gallery-filter-class').selectOption({ label: 'All classes' })
  await expect(items).toHaveCount(3)

  // search by a seed: only that result; by a class name: its results
  const seed = await items.nth(2).getAttribute('data-seed')
  await page.getByTestId('gallery-search').fill(`seed:${seed}`)
  await expect(items).toHaveCount(1)
  await expect(items.first()).toHaveAttribute('data-seed', seed!)
  await page.getByTestId('gallery-search').fill(classes[2].toLowerCase())
  await expect(items).toHaveCount(1)
  await page.getByTestId('gallery-search').fill('')
  await expect(items).toHaveCount(3)

  // the full-size viewer: the stored image at the model's size, enlarged; zoom in doubles it; Esc closes
  await items.first().getByTestId('view-full').click()
  const image = page.getByTestId('viewer-image')
  await expect(image).toBeVisible()
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0)
  const natural = await image.evaluate((img: HTMLImageElement) => img.naturalWidth)
  const before = (await image.boundingBox())!.width
  expect(before).toBeGreaterThan(natural * 1.5)
  await page.getByTestId('viewer-zoom-out').click()
  const smaller = (await image.boundingBox())!.width
  expect(smaller).toBeLessThan(before)
  await page.getByTestId('viewer-zoom-in').click()
  await page.getByTestId('viewer-zoom-in').click()
  expect((await image.boundingBox())!.width).toBeGreaterThan(before)
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('result-viewer')).toHaveCount(0)
  await expect(items).toHaveCount(3)
})
