import { test, expect, type Page } from '@playwright/test'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from './support/web-server'
import { e2eModelRoot } from './support/fixtures'

/**
 * Issue 8 item 4: browser mode when its server stops and comes back. The token is per launch
 * (docs/browser-mode-token.md), so a restarted server refuses the old tab: the tab says so and
 * where the new address is, and the new address restores the session.
 */

async function generateOne(page: Page, expected: number): Promise<void> {
  await page.getByTestId('count').fill('1')
  await page.getByTestId('max-steps').fill('10')
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(expected)
}

test('a stopped server: the page says it is gone and queues nothing; after a restart it points to the new address, which works', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'browser mode only: the desktop app has no server to stop')
  const userData = mkdtempSync(join(tmpdir(), 'eqm-e2e-restart-'))
  const first = await startServer([e2eModelRoot()], userData)
  await page.goto(first.url)
  await expect(page.getByTestId('engine-state')).toContainText('engine ready')
  await generateOne(page, 1)
  // the history journal has the result before the server goes
  const journal = join(userData, 'history.jsonl')
  await expect.poll(() => existsSync(journal) && readFileSync(journal, 'utf8').includes('"op":"add"'), { timeout: 10_000 }).toBe(true)

  await first.stop({ keepUserData: true })
  await expect(page.getByTestId('server-gone')).toContainText('The server is gone')
  await expect(page.getByTestId('engine-down')).toHaveCount(0)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('notice')).toContainText('generate was not sent')
  await expect(page.getByTestId('progress')).toHaveCount(0)
  await expect(page.getByTestId('gallery-item')).toHaveCount(1)

  const second = await startServer([e2eModelRoot()], userData, { port: Number(new URL(first.url).port) })
  try {
    expect(second.url).not.toBe(first.url)
    const banner = page.getByTestId('server-gone')
    await expect(banner).toHaveAttribute('data-token-refused', 'true', { timeout: 30_000 })
    await expect(banner).toContainText('Open the new address it printed in its terminal')
    // still nothing is sent from the old tab
    await page.getByTestId('generate').click()
    await expect(page.getByTestId('progress')).toHaveCount(0)

    // the new address: the session comes back and work goes on
    await page.goto(second.url)
    await expect(page.getByTestId('engine-state')).toContainText('engine ready')
    await expect(page.getByTestId('gallery-item')).toHaveCount(1)
    await generateOne(page, 2)
  } finally {
    await second.stop()
  }
})
