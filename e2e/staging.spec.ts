import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import { test, expect } from './support/fixtures'
import { testPhoto } from './support/photos'

/** Issue 8, finding 3: the run button and Accept / Discard in reach at 1280x720; each tool its own scroll. */

/** Inside the window and not covered: what a user can click without scrolling. */
async function reachable(page: Page, target: Locator): Promise<boolean> {
  const box = await target.boundingBox()
  if (!box) return false
  const viewport = page.viewportSize()!
  const x = box.x + box.width / 2
  const y = box.y + box.height / 2
  if (x < 0 || y < 0 || x > viewport.width || y > viewport.height) return false
  return target.evaluate((element, [px, py]) => element.contains(document.elementFromPoint(px, py)), [x, y])
}

async function repairResult(page: Page): Promise<void> {
  const photo = await testPhoto()
  const file = join(mkdtempSync(join(tmpdir(), 'eqm-staging-')), 'photo.png')
  writeFileSync(file, photo.png)
  await page.getByTestId('tool-repair').click()
  await page.getByTestId('repair-import').setInputFiles(file)
  const box = (await page.getByTestId('repair-canvas').boundingBox())!
  await page.mouse.move(box.x + box.width / 2 - 20, box.y + box.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width / 2 + 20, box.y + box.height / 2, { steps: 4 })
  await page.mouse.up()
  await page.getByTestId('repair-run').click()
  await expect(page.getByTestId('staging-bar')).toBeVisible({ timeout: 60_000 })
}

test('every tool\'s run button is reachable at 1280x720 without scrolling', async ({ studio: page }) => {
  expect(page.viewportSize()).toEqual({ width: 1280, height: 720 })
  // open the sampler sections so the panels are at their longest
  for (const [tool, run] of [['generate', 'generate'], ['repair', 'repair-run'], ['compose', 'compose-run']] as const) {
    await page.getByTestId(`tool-${tool}`).click()
    for (const details of await page.locator('aside details').all()) await details.evaluate((d) => ((d as HTMLDetailsElement).open = true))
    expect(await reachable(page, page.getByTestId(run)), `${run} button`).toBe(true)
  }
})

test('a repair waits on the canvas: Accept and Discard reachable, Enter accepts, Esc discards', async ({ studio: page }) => {
  await repairResult(page)
  await page.screenshot({ path: test.info().outputPath('staging-1280x720.png') })
  expect(await reachable(page, page.getByTestId('staging-accept'))).toBe(true)
  expect(await reachable(page, page.getByTestId('staging-discard'))).toBe(true)
  // Compare: the repair alone, then the split view again
  await page.getByTestId('staging-compare').click()
  await expect(page.getByTestId('repair-canvas')).toHaveAttribute('data-compare', '0')
  await page.getByTestId('staging-compare').click()
  await expect(page.getByTestId('repair-canvas')).toHaveAttribute('data-compare', '0.5')

  await page.keyboard.press('Escape')
  await expect(page.getByTestId('staging-bar')).toHaveCount(0)
  // discarded: the mask stays for another try
  await expect(page.getByTestId('repair-canvas')).toHaveAttribute('data-strokes', '1')

  await page.getByTestId('repair-run').click()
  await expect(page.getByTestId('staging-bar')).toBeVisible({ timeout: 60_000 })
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('staging-bar')).toHaveCount(0)
  // accepted: the repaired photo is the document now, its mask cleared (one undoable step)
  await expect(page.getByTestId('repair-canvas')).toHaveAttribute('data-strokes', '0')
})

test('each tool keeps its own scroll position in the side panel', async ({ studio: page }) => {
  await page.setViewportSize({ width: 1280, height: 420 })
  const aside = page.locator('aside')
  await aside.evaluate((a) => (a.scrollTop = 10_000))
  const generateScroll = await aside.evaluate((a) => a.scrollTop)
  expect(generateScroll).toBeGreaterThan(0)
  await page.getByTestId('tool-compose').click()
  await expect.poll(() => aside.evaluate((a) => a.scrollTop)).toBe(0)
  await page.getByTestId('tool-generate').click()
  await expect.poll(() => aside.evaluate((a) => a.scrollTop)).toBe(generateScroll)
})
