import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, expect, setNumber, e2eModelRoot } from './support/fixtures'
import { ROOT, startServer } from './support/web-server'

/** Issue 8, "a history that scales": images in the user-data store, read-only second tabs, migration. */

function savedSession(userData: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(join(userData, 'session.json'), 'utf8')).data
  } catch {
    return null // not written yet
  }
}
const savedTool = (userData: string) => savedSession(userData)?.tool

test('results are stored once as files; the session stays small; the page reads them through the server', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'browser mode: reads the user-data folder of its own server')
  const server = await startServer([e2eModelRoot()])
  await page.goto(server.url)
  await expect(page.getByTestId('engine-state')).toContainText('engine ready')
  await setNumber(page, 'count', 3)
  await setNumber(page, 'max-steps', 15)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(3)
  await expect.poll(() => readdirSync(join(server.userData, 'store')).filter((n) => n.endsWith('.png')).length).toBe(3)
  const src = (await page.getByTestId('gallery-item').first().locator('img').getAttribute('src'))!
  expect(src).toMatch(/^\/store\/[0-9a-f]{64}\.png\?token=/)
  // the image is served only with the token
  expect((await page.request.get(`${server.origin}${src}`)).status()).toBe(200)
  expect((await page.request.get(`${server.origin}${src.replace(/\?token=.*/, '')}`)).status()).toBe(401)
  await expect.poll(() => statSync(join(server.userData, 'session.json'), { throwIfNoEntry: false })?.size ?? 0).toBeGreaterThan(0)
  const session = readFileSync(join(server.userData, 'session.json'), 'utf8')
  expect(session).not.toContain('iVBOR') // no inline PNG
  expect(session.length).toBeLessThan(4000)
  await server.stop()
})

test('a second tab on the same session is read-only, says so, and saves nothing', async ({ page, context }, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'browser mode: two tabs on one server')
  const server = await startServer([e2eModelRoot()])
  await page.goto(server.url)
  await expect(page.getByTestId('engine-state')).toContainText('engine ready')
  await page.getByTestId('tool-compose').click()
  await expect.poll(() => savedTool(server.userData)).toBe('compose')

  const second = await context.newPage()
  await second.goto(server.url)
  await expect(second.getByTestId('read-only')).toContainText('another tab or window has this session open')
  await expect(page.getByTestId('read-only')).toHaveCount(0)
  await second.getByTestId('tool-ood').click()
  await second.waitForTimeout(1500)
  expect(savedTool(server.userData)).toBe('compose')
  // the first tab keeps saving
  await page.getByTestId('tool-repair').click()
  await expect.poll(() => savedTool(server.userData)).toBe('repair')
  await server.stop()
})

test('a release-0.1.0 session moves into the image store on first start, nothing lost, its file kept', async ({ page, context }, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'browser mode: the session file is written before the server starts')
  const userData = mkdtempSync(join(tmpdir(), 'eqm-migrate-'))
  const original = readFileSync(join(ROOT, 'test/fixtures/sessions/release-0.1.0.json'), 'utf8')
  writeFileSync(join(userData, 'session.json'), original)
  const legacy = JSON.parse(original).data
  let server = await startServer([e2eModelRoot()], userData)
  await page.goto(server.url)
  await expect(page.getByTestId('gallery-item')).toHaveCount(7)
  await expect(page.getByTestId('notice')).toHaveCount(0)
  await expect.poll(() => savedSession(userData)?.version).toBe(2)
  const kept = readdirSync(userData).find((n) => n.startsWith('session.migrated-'))!
  expect(readFileSync(join(userData, kept), 'utf8')).toBe(original)

  // closed first: a tab left on the stopped server is server-restart.spec.ts's subject (under CI
  // load a browser with such a tab sometimes stalled here for the whole test timeout)
  await page.close()
  await server.stop({ keepUserData: true })
  server = await startServer([e2eModelRoot()], userData)
  const reopened = await context.newPage()
  await reopened.goto(server.url, { waitUntil: 'domcontentloaded' })
  await expect(reopened.getByTestId('gallery-item')).toHaveCount(7)
  expect(await reopened.getByTestId('gallery-item').evaluateAll((items) => items.map((i) => i.getAttribute('title')!.split(' · ')[0]))).toEqual(legacy.gallery.map((g: { title: string }) => g.title))
  // each image is the very PNG the old session held
  const srcs = await reopened.getByTestId('gallery-item').locator('img').evaluateAll((images) => images.map((i) => i.getAttribute('src')!))
  for (const [i, src] of srcs.entries()) {
    const body = await (await reopened.request.get(`${server.origin}${src}`)).body()
    expect(body.toString('base64')).toBe(legacy.gallery[i].png)
  }
  await expect(reopened.getByTestId('repair-canvas')).toHaveAttribute('data-strokes', '1')
  await server.stop()
})
