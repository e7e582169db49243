import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, setNumber, e2eModelRoot } from './support/fixtures'
import { ROOT, startServer } from './support/web-server'
import { historyIds } from './support/user-data'

/** Issue 8, finding 1: a session is never lost to Open PNG, a restart, or a damaged file. */

/** the saved session's data, or null while the file is not yet what JSON can read */
function savedSession(userData: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(join(userData, 'session.json'), 'utf8')).data
  } catch {
    return null
  }
}

async function openStudio(page: Page, url: string): Promise<void> {
  await page.goto(url)
  await expect(page.getByTestId('engine-state')).toContainText('engine ready')
  await expect(page.getByTestId('gallery')).toBeVisible()
}

test('generate, export, Open PNG that file, then reload and restart: every result survives', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'browser mode: the server is restarted on the same user-data folder')
  let server = await startServer([e2eModelRoot()])
  await openStudio(page, server.url)
  await setNumber(page, 'count', 2)
  await setNumber(page, 'max-steps', 20)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(2)
  const download = page.waitForEvent('download')
  await page.getByTestId('gallery-item').first().getByTestId('export-png').click()
  const file = join(mkdtempSync(join(tmpdir(), 'eqm-open-')), 'exported.png')
  await (await download).saveAs(file)
  await page.getByTestId('open-png').setInputFiles(file)
  await expect(page.getByTestId('gallery-item')).toHaveCount(3)
  await page.waitForTimeout(1500) // autosave is debounced

  await page.reload()
  await expect(page.getByTestId('engine-state')).toContainText('engine ready')
  await expect(page.getByTestId('gallery-item')).toHaveCount(3)
  await expect(page.getByTestId('notice')).toHaveCount(0)
  await page.waitForTimeout(1500)

  await server.stop({ keepUserData: true })
  server = await startServer([e2eModelRoot()], server.userData)
  await openStudio(page, server.url)
  await expect(page.getByTestId('gallery-item')).toHaveCount(3)
  await expect(page.getByTestId('notice')).toHaveCount(0)
  await server.stop()
})

test('a session file that cannot be read is kept aside, unchanged, and the page says where', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'browser mode: the session file is written before the server starts')
  const userData = mkdtempSync(join(tmpdir(), 'eqm-damaged-'))
  const damaged = '{"savedAt":"2026-11-29T10:00:00.000Z","data":{"version":1,"gallery":[{"id":"a","png":"iVBO'
  writeFileSync(join(userData, 'session.json'), damaged)
  const server = await startServer([e2eModelRoot()], userData)
  await openStudio(page, server.url)
  await expect(page.getByTestId('notice')).toContainText('The last session could not be read')
  const kept = readdirSync(userData).find((name) => name.startsWith('session.unreadable-'))!
  await expect(page.getByTestId('notice')).toContainText(join(userData, kept))

  // the studio works and autosaves; the kept copy stays as it was
  await setNumber(page, 'count', 1)
  await setNumber(page, 'max-steps', 10)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(1)
  await expect.poll(() => historyIds(userData).length).toBe(1)
  expect(readFileSync(join(userData, kept), 'utf8')).toBe(damaged)
  await server.stop()
})

test('a session readable in part: the bad result is left out, the rest restored, the file kept before any save', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'browser mode: the session file is written before the server starts')
  const userData = mkdtempSync(join(tmpdir(), 'eqm-partial-'))
  const snapshot = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/sessions/release-0.1.0.json'), 'utf8'))
  snapshot.data.gallery[5].png = 5
  const original = JSON.stringify(snapshot)
  writeFileSync(join(userData, 'session.json'), original)
  const server = await startServer([e2eModelRoot()], userData)
  await openStudio(page, server.url)
  await expect(page.getByTestId('notice')).toContainText('result 6 of 7 "Dress"')
  await expect(page.getByTestId('gallery-item')).toHaveCount(6)
  const kept = readdirSync(userData).find((name) => name.startsWith('session.partial-'))!
  await expect(page.getByTestId('notice')).toContainText(join(userData, kept))
  expect(readFileSync(join(userData, kept), 'utf8')).toBe(original)

  await page.getByTestId('tool-generate').click()
  await expect.poll(() => savedSession(userData)?.tool).toBe('generate')
  expect(readFileSync(join(userData, kept), 'utf8')).toBe(original)
  await server.stop()
})
