import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './support/web-server'
import { test, expect, runAllSteps, setNumber } from './support/fixtures'

const REAL_MODEL = existsSync(join(ROOT, 'models', 'fashion-mnist', 'manifest.json'))

test('a queue across tools: Compose queues behind a running Generate, one queued job is cancelled, the first finishes', async ({ studio: page }) => {
  // a long Generate: a fixed number of steps, no early stop (the analytic field is ~100x faster)
  await setNumber(page, 'count', 2)
  await runAllSteps(page, REAL_MODEL ? 400 : 4000)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('canvas')).not.toHaveAttribute('data-step', '')

  // Compose is not refused while Generate runs: its button says it queues, and the job is sent
  await page.getByTestId('tool-compose').click()
  await expect(page.getByTestId('compose-panel')).toBeVisible()
  await expect(page.getByTestId('queue-hint')).toBeVisible()
  const run = page.getByTestId('compose-run')
  await expect(run).toBeEnabled()
  await expect(run).toHaveText(/Queue/)
  await run.click()

  const items = page.getByTestId('job-queue-item')
  await expect(items).toHaveCount(2)
  await expect(items.nth(0)).toHaveAttribute('data-tool', 'generate')
  await expect(items.nth(0)).toHaveAttribute('data-position', '1')
  await expect(items.nth(0)).toHaveAttribute('data-state', 'running')
  await expect(items.nth(1)).toHaveAttribute('data-tool', 'compose')
  await expect(items.nth(1)).toHaveAttribute('data-position', '2')
  await expect(items.nth(1)).toHaveAttribute('data-state', 'queued')

  // cancelling the queued one leaves the running one descending
  await items.nth(1).getByTestId('job-queue-cancel').click()
  await expect(page.getByTestId('notice')).toContainText('Cancelled the queued Compose job')
  await expect(page.getByTestId('job-queue')).toHaveCount(0)
  await expect(page.getByTestId('progress')).toBeVisible()

  // Generate finishes with its own results; nothing of the cancelled composition arrives
  await expect(page.getByTestId('gallery-item')).toHaveCount(2, { timeout: 90_000 })
  await expect(page.getByTestId('progress')).toHaveCount(0)
  await page.waitForTimeout(500)
  await expect(page.getByTestId('gallery-item')).toHaveCount(2)
})
