import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import type { Page } from '@playwright/test'
import { test, expect } from './support/fixtures'
import { testPhoto } from './support/photos'

/** Issue 8, findings 2 (the compare view) and 6 (the photo stays visible during a repair). */

async function importAndPaintBand(page: Page): Promise<{ gray: Uint8Array; width: number }> {
  const photo = await testPhoto()
  const file = join(mkdtempSync(join(tmpdir(), 'eqm-compare-')), 'photo.png')
  writeFileSync(file, photo.png)
  await page.getByTestId('tool-repair').click()
  await page.getByTestId('repair-import').setInputFiles(file)
  await page.getByTestId('brush-size').fill(String(Math.round(photo.width / 2)))
  // a vertical band down the middle: painted left and right of the divider, unpainted at the edges
  const at = await contentToPage(page, photo.width / 2, 1)
  const end = await contentToPage(page, photo.width / 2, photo.width - 1)
  await page.mouse.move(at.x, at.y)
  await page.mouse.down()
  await page.mouse.move(end.x, end.y, { steps: 10 })
  await page.mouse.up()
  await expect(page.getByTestId('repair-canvas')).toHaveAttribute('data-strokes', '1')
  return { gray: photo.gray, width: photo.width }
}

/** Page coordinates of a content pixel's centre, from the stage's view (scale, offset). */
async function contentToPage(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  const stage = page.getByTestId('repair-canvas').locator('.canvas-stage')
  const [scale, ox, oy] = (await stage.getAttribute('data-view'))!.split(',').map(Number)
  const box = (await stage.boundingBox())!
  return { x: box.x + ox + x * scale, y: box.y + oy + y * scale }
}

/** Gray value drawn at a content pixel by one of the canvas's layers (0: photo, 2: staging). */
async function drawnGray(page: Page, layer: number, x: number, y: number): Promise<number> {
  const stage = page.getByTestId('repair-canvas').locator('.canvas-stage')
  const [scale, ox, oy] = (await stage.getAttribute('data-view'))!.split(',').map(Number)
  return stage.evaluate(
    (element, [layerIndex, px, py]) => {
      const canvas = element.querySelectorAll('canvas')[layerIndex] as HTMLCanvasElement
      const ratio = canvas.width / canvas.clientWidth
      return canvas.getContext('2d')!.getImageData(Math.floor(px * ratio), Math.floor(py * ratio), 1, 1).data[0]
    },
    [layer, ox + (x + 0.5) * scale, oy + (y + 0.5) * scale]
  )
}

test('compare view: the photo before the repair left of the divider, the repair right of it (pixel values)', async ({ studio: page }) => {
  const { gray, width } = await importAndPaintBand(page)
  await page.getByTestId('repair-seed').fill('11')
  await page.getByTestId('repair-run').click()
  await expect(page.getByTestId('repair-result')).toBeVisible({ timeout: 60_000 })
  const src = (await page.getByTestId('gallery-item').first().locator('img').getAttribute('src'))!
  const repaired = PNG.sync.read(await (await page.request.get(new URL(src, page.url()).href)).body())
  const after = (x: number, y: number) => repaired.data[(y * width + x) * 4]
  // the painted pixels where before and after differ most, one each side of the divider (at 50%)
  const row = Math.floor(width / 2)
  const differing = (from: number, to: number) => {
    let best = from
    for (let x = from; x < to; x++) if (Math.abs(after(x, row) - gray[row * width + x]) > Math.abs(after(best, row) - gray[row * width + best])) best = x
    return best
  }
  const left = differing(Math.floor(width * 0.3), Math.floor(width / 2) - 1)
  const right = differing(Math.floor(width / 2) + 1, Math.ceil(width * 0.7))
  expect(Math.abs(after(left, row) - gray[row * width + left])).toBeGreaterThan(8)
  expect(Math.abs(after(right, row) - gray[row * width + right])).toBeGreaterThan(8)
  expect(await drawnGray(page, 0, left, row)).toBe(gray[row * width + left])
  expect(await drawnGray(page, 0, right, row)).toBe(after(right, row))
})

test('compare view: dragging moves the divider and paints nothing', async ({ studio: page }) => {
  const { width } = await importAndPaintBand(page)
  await page.getByTestId('repair-run').click()
  await expect(page.getByTestId('repair-result')).toBeVisible({ timeout: 60_000 })
  const canvas = page.getByTestId('repair-canvas')
  const mask = await canvas.getAttribute('data-mask')
  await expect(canvas).toHaveAttribute('data-compare', '0.5')
  const from = await contentToPage(page, width * 0.25, width / 2)
  const to = await contentToPage(page, width * 0.75, width / 2)
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(to.x, to.y, { steps: 6 })
  await page.mouse.up()
  await expect.poll(async () => Number(await canvas.getAttribute('data-compare'))).toBeCloseTo(0.75, 1)
  await expect(canvas).toHaveAttribute('data-strokes', '1')
  await page.getByTestId('repair-discard').click()
  await expect(canvas).toHaveAttribute('data-strokes', '1')
  expect(await canvas.getAttribute('data-mask')).toBe(mask)
})

test('while a repair descends, the photo shows outside the painted region', async ({ studio: page }) => {
  const { gray, width } = await importAndPaintBand(page)
  await page.getByTestId('repair-sampler').click()
  await page.getByTestId('repair-max-steps').fill('5000')
  await page.getByTestId('repair-stop-grad-norm').fill('0')
  await page.getByTestId('repair-run').click()
  await expect(page.getByTestId('progress')).toBeVisible()
  await expect.poll(async () => (await page.getByTestId('repair-canvas').locator('.canvas-stage canvas').count()) >= 3).toBe(true)
  await page.waitForTimeout(500)
  // an unpainted pixel (the left edge) shows the photo; a painted one (the band) shows the descent
  const edge = { x: 0, y: Math.floor(width / 2) }
  await expect.poll(() => drawnGray(page, 2, edge.x, edge.y)).toBe(gray[edge.y * width + edge.x])
  await page.getByTestId('cancel').click()
})
