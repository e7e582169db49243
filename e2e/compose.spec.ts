import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import { test, expect, setNumber } from './support/fixtures'
import { ROOT } from './support/web-server'

/**
 * Compose in browser mode. On the quadratic test field the classes' minima are known
 * (dark -0.8, light +0.8, null 0), so "dark + light" must land between them, on gray;
 * on the shipped Fashion-MNIST model the result must at least differ from each class alone.
 */
const REAL_MODEL = existsSync(join(ROOT, 'models', 'fashion-mnist', 'manifest.json'))
const PAIR = REAL_MODEL ? ['Sneaker', 'Sandal'] : ['dark', 'light']
/** the weight each class of a new composition starts with: the manifest's benchmarked default, else 1 */
const DEFAULT_WEIGHT: number = REAL_MODEL
  ? (JSON.parse(readFileSync(join(ROOT, 'models', 'fashion-mnist', 'manifest.json'), 'utf8')).studio?.compose?.weight ?? 1)
  : 1

async function openCompose(page: Page): Promise<void> {
  await page.getByTestId('tool-compose').click()
  await expect(page.getByTestId('compose-panel')).toBeVisible()
  await page.getByTestId('compose-class-0').selectOption({ label: PAIR[0] })
  await page.getByTestId('compose-class-1').selectOption({ label: PAIR[1] })
}

function attributes(locator: Locator, name: string): Promise<(string | null)[]> {
  return locator.evaluateAll((elements, attribute) => elements.map((e) => e.getAttribute(attribute)), name)
}

/** Mean gray level (0..255) of a data-URL image, decoded in the page. */
async function meanGray(page: Page, src: string): Promise<number> {
  return page.evaluate(async (url) => {
    const image = new Image()
    image.src = url
    await image.decode()
    const canvas = document.createElement('canvas')
    canvas.width = image.naturalWidth
    canvas.height = image.naturalHeight
    const context = canvas.getContext('2d')!
    context.drawImage(image, 0, 0)
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data
    let sum = 0
    for (let i = 0; i < data.length; i += 4) sum += data[i]
    return sum / (data.length / 4)
  }, src)
}

test('compose: two classes make one image that lands in the gallery', async ({ studio: page }) => {
  await openCompose(page)
  await expect(page.getByTestId('compose-formula')).toHaveText(`${PAIR[0]} ×${DEFAULT_WEIGHT} + ${PAIR[1]} ×${DEFAULT_WEIGHT}`)
  await setNumber(page, 'compose-count', 2)
  await setNumber(page, 'compose-seed', 11)
  await expect(page.getByTestId('compose-lock-seed')).toBeChecked()
  await page.getByTestId('compose-run').click()

  await expect(page.getByTestId('gallery-item')).toHaveCount(2, { timeout: 60_000 })
  await expect(page.getByTestId('canvas')).toHaveAttribute('data-results', '2')
  const title = await page.getByTestId('gallery-item').first().getAttribute('title')
  expect(title).toContain(PAIR[0])
  expect(title).toContain(PAIR[1])
  // image i of the job has seed 11 + i
  expect(await attributes(page.getByTestId('gallery-item'), 'data-seed')).toEqual(['11', '12'])
})

test('compose: compare with each single class, same seed, side by side', async ({ studio: page }) => {
  await openCompose(page)
  await setNumber(page, 'compose-seed', 5)
  await page.getByTestId('compose-compare').click()

  const comparison = page.getByTestId('comparison')
  await expect(comparison).toHaveAttribute('data-state', 'done', { timeout: 90_000 })
  const cells = comparison.getByTestId('comparison-cell')
  await expect(cells).toHaveCount(3)
  expect(await attributes(cells, 'data-kind')).toEqual(['single', 'single', 'composition'])
  expect(await attributes(cells, 'data-status')).toEqual(['done', 'done', 'done'])
  await expect(cells.nth(0)).toContainText(`${PAIR[0]} alone`)
  await expect(cells.nth(1)).toContainText(`${PAIR[1]} alone`)
  await expect(cells.nth(2)).toContainText(`${PAIR[0]} ×${DEFAULT_WEIGHT} + ${PAIR[1]} ×${DEFAULT_WEIGHT}`)

  const sources = await cells.locator('img').evaluateAll((images) => images.map((i) => (i as HTMLImageElement).src))
  expect(sources).toHaveLength(3)
  // the composition is its own image, not either class alone
  expect(sources[2]).not.toBe(sources[0])
  expect(sources[2]).not.toBe(sources[1])
  if (!REAL_MODEL) {
    // quadratic field: dark alone ~ -0.8 (gray 26), light alone ~ +0.8 (gray 230), both: their sum, 0 (gray 128)
    expect(await meanGray(page, sources[0])).toBeLessThan(50)
    expect(await meanGray(page, sources[1])).toBeGreaterThan(205)
    expect(Math.abs((await meanGray(page, sources[2])) - 127.5)).toBeLessThan(12)
  }
  // all three are results with their parameters, made with the one seed
  await expect(page.getByTestId('gallery-item')).toHaveCount(3)
  expect(await attributes(page.getByTestId('gallery-item'), 'data-seed')).toEqual(['5', '5', '5'])
})

test('compose: rows, weights, validation; Ctrl+Enter composes live and Esc cancels', async ({ studio: page }) => {
  await openCompose(page)
  const rows = page.getByTestId('compose-row')
  await expect(rows).toHaveCount(2)
  // two rows is the minimum: their remove buttons are disabled
  await expect(rows.first().getByRole('button')).toBeDisabled()
  await page.getByTestId('compose-add').click()
  await expect(rows).toHaveCount(3)
  await rows.nth(2).getByRole('button').click()
  await expect(rows).toHaveCount(2)

  // a negative weight is allowed and shown in the formula
  await page.getByTestId('compose-weight-0').fill('1')
  await page.getByTestId('compose-weight-1').fill('-0.5')
  await expect(page.getByTestId('compose-formula')).toHaveText(`${PAIR[0]} ×1 − ${PAIR[1]} ×0.5`)
  // the slider follows, and is limited to [-2, 2]
  await expect(page.getByTestId('compose-slider-1')).toHaveValue('-0.5')
  await page.getByTestId('compose-weight-1').fill('-7')
  await expect(page.getByTestId('compose-slider-1')).toHaveValue('-2')

  // a weight of zero leaves a single class: not a composition
  await page.getByTestId('compose-weight-1').fill('0')
  await expect(page.getByTestId('compose-problem')).toContainText('non-zero weight')
  await expect(page.getByTestId('compose-run')).toBeDisabled()
  await page.getByTestId('compose-weight-1').fill('0.75')
  await expect(page.getByTestId('compose-problem')).toHaveCount(0)

  // a long job: no early stop
  await page.getByTestId('compose-sampler').click()
  await setNumber(page, 'compose-count', 64)
  await setNumber(page, 'compose-max-steps', 5000)
  await setNumber(page, 'compose-stop-grad-norm', 0)
  await page.locator('body').click()
  await page.keyboard.press('Control+Enter')
  // frames descend on the canvas while it runs
  const canvas = page.getByTestId('canvas')
  await expect(canvas).not.toHaveAttribute('data-step', '')
  const first = Number(await canvas.getAttribute('data-step'))
  await expect.poll(async () => Number((await canvas.getAttribute('data-step')) || 1e9)).toBeGreaterThan(first)
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('notice')).toContainText('Cancelled')
  await expect(page.getByTestId('gallery-item')).toHaveCount(0)

  // a short one completes with the weights it was given
  await setNumber(page, 'compose-count', 1)
  await setNumber(page, 'compose-max-steps', 60)
  await page.getByTestId('compose-run').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(1, { timeout: 60_000 })
  expect(await page.getByTestId('gallery-item').getAttribute('title')).toContain(`${PAIR[1]} ×0.75`)
})

test('compose live: each weight change re-runs into a preview outside the gallery until kept', async ({ studio: page }) => {
  await openCompose(page)
  await setNumber(page, 'compose-count', 1)
  await page.getByTestId('compose-live').check()
  const canvas = page.getByTestId('canvas')
  await expect(canvas).toHaveAttribute('data-preview', 'true', { timeout: 60_000 })
  const first = await canvas.evaluate((el) => Array.from(el.querySelectorAll('canvas')).map((c) => c.toDataURL()).join('|'))
  await setNumber(page, 'compose-weight-1', -0.5)
  // the new weight gives a new preview
  await expect
    .poll(async () => canvas.evaluate((el) => Array.from(el.querySelectorAll('canvas')).map((c) => c.toDataURL()).join('|')), { timeout: 60_000 })
    .not.toBe(first)
  await expect(page.getByTestId('progress')).toHaveCount(0, { timeout: 60_000 })
  await expect(page.getByTestId('gallery-item')).toHaveCount(0)
  await page.getByTestId('compose-keep').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(1)
  await expect(canvas).toHaveAttribute('data-preview', 'false')
  // the one condition format: the sign before the term, as in the panel's formula
  expect(await page.getByTestId('gallery-item').first().getAttribute('title')).toContain(`− ${PAIR[1]} ×0.5`)
})
