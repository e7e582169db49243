import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { test, expect, setNumber, e2eModelRoot } from './support/fixtures'
import { startServer } from './support/web-server'
import { historyIds } from './support/user-data'

/** Issue 8, the history: delete, clear with undo; deleted results' files go once nothing refers to them. */

test('delete one result, clear all, undo the clear; after a restart the deleted image file is gone', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'browser mode: reads the user-data folder of its own server')
  let server = await startServer([e2eModelRoot()])
  await page.goto(server.url)
  await expect(page.getByTestId('engine-state')).toContainText('engine ready')
  await setNumber(page, 'count', 3)
  await setNumber(page, 'max-steps', 15)
  await page.getByTestId('generate').click()
  const items = page.getByTestId('gallery-item')
  await expect(items).toHaveCount(3)
  const seeds = await items.evaluateAll((all) => all.map((i) => i.getAttribute('data-seed')))
  const deletedSrc = (await items.nth(1).locator('img').getAttribute('src'))!
  await items.nth(1).getByTestId('delete-result').click()
  await expect(items).toHaveCount(2)
  await page.getByTestId('clear-history').click()
  await expect(items).toHaveCount(0)
  await expect.poll(() => historyIds(server.userData).length).toBe(0)
  await page.getByTestId('undo-removal').click()
  await expect(items).toHaveCount(2)
  expect(await items.evaluateAll((all) => all.map((i) => i.getAttribute('data-seed')))).toEqual([seeds[0], seeds[2]])
  await expect.poll(() => historyIds(server.userData).length).toBe(2)

  await server.stop({ keepUserData: true })
  server = await startServer([e2eModelRoot()], server.userData)
  await page.goto(server.url)
  await expect(items).toHaveCount(2)
  const deletedFile = deletedSrc.match(/[0-9a-f]{64}\.png/)![0]
  expect(readdirSync(join(server.userData, 'store'))).not.toContain(deletedFile)
  expect(readdirSync(join(server.userData, 'store')).filter((n) => n.endsWith('.png'))).toHaveLength(2)
  await server.stop()
})
