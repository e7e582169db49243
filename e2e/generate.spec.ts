import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './support/web-server'
import { test, expect, canvasSnapshot, runAllSteps, setNumber } from './support/fixtures'

const REAL_MODEL = existsSync(join(ROOT, 'models', 'fashion-mnist', 'manifest.json'))

test('generate: frames descend on the canvas, then the result lands in the gallery', async ({ studio: page }) => {
  const options = await page.getByTestId('class-select').locator('option').allTextContents()
  expect(options.length).toBeGreaterThan(1)
  await page.getByTestId('class-select').selectOption({ index: 1 })
  await setNumber(page, 'count', 4)
  // long enough to watch: a fixed number of steps, no early stop (the analytic field is ~100x faster)
  await runAllSteps(page, REAL_MODEL ? 200 : 1500)
  const blank = await canvasSnapshot(page)

  await page.getByTestId('generate').click()
  // two different frames, seen while the job runs
  const canvas = page.getByTestId('canvas')
  await expect(canvas).not.toHaveAttribute('data-step', '')
  const firstStep = Number(await canvas.getAttribute('data-step'))
  const first = await canvasSnapshot(page)
  await expect.poll(async () => Number((await canvas.getAttribute('data-step')) || 1e9)).toBeGreaterThan(firstStep)
  expect(first).not.toBe(blank)
  // the shipped model's EqM-E energy: its fall since the start while the job runs, exact values at the end
  if (REAL_MODEL) await expect(page.getByTestId('descent-plot-legend')).toContainText('energy change since the start')
  // the canvas repaints after the step counter moves (the preview image decodes first)
  await expect.poll(() => canvasSnapshot(page)).not.toBe(first)

  await expect(page.getByTestId('gallery-item')).toHaveCount(4, { timeout: 60_000 })
  await expect(canvas).toHaveAttribute('data-results', '4')
  // the descent stays plotted after the job
  await expect(page.getByTestId('descent-plot')).toBeVisible()
  expect(Number(await page.getByTestId('descent-plot').getAttribute('data-points'))).toBeGreaterThan(1)
  if (REAL_MODEL) await expect(page.getByTestId('descent-plot-legend')).toContainText('mean energy E')
  // it belongs to Generate: Repair has not descended anything yet
  await page.getByTestId('tool-repair').click()
  await expect(page.getByTestId('descent-plot')).toHaveCount(0)
  await page.getByTestId('tool-generate').click()
  await expect(page.getByTestId('descent-plot')).toBeVisible()
  await expect(page.getByTestId('progress')).toHaveCount(0)
  const title = await page.getByTestId('gallery-item').first().getAttribute('title')
  expect(title).toContain(options[1])
})

test('cancel stops a running job and keeps the canvas', async ({ studio: page }) => {
  // a long job: no early stop
  await setNumber(page, 'count', 64)
  await runAllSteps(page, 5000)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('canvas')).not.toHaveAttribute('data-step', '')
  await page.getByTestId('cancel').click()
  await expect(page.getByTestId('notice')).toContainText('Cancelled')
  await expect(page.getByTestId('progress')).toHaveCount(0)
  await expect(page.getByTestId('gallery-item')).toHaveCount(0)
  // the engine serves the next job
  await setNumber(page, 'count', 1)
  await setNumber(page, 'max-steps', 20)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(1)
})

test('Ctrl+Enter generates and Esc cancels', async ({ studio: page }) => {
  // a long job: no early stop
  await setNumber(page, 'count', 64)
  await runAllSteps(page, 5000)
  await page.locator('body').click()
  await page.keyboard.press('Control+Enter')
  await expect(page.getByTestId('canvas')).not.toHaveAttribute('data-step', '')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('notice')).toContainText('Cancelled')
})

