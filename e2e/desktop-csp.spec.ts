import { test, expect } from '@playwright/test'
import { startServer, type RunningServer } from './support/web-server'
import { e2eModelRoot } from './support/fixtures'
import { desktopCsp } from '../src/main/content-security-policy'
import config from '../playwright.config'

// What the renderer really needs: the whole studio, driven through every tool and a generation,
// under the desktop policy's style-src 'self' (no inline styles) and script-src 'self'. The
// browser mode's server is the vehicle; only its WebSocket is let through, since the desktop
// app talks to its engine over a MessagePort instead.
// A response fulfilled by the test has no address, so Chromium would count the page as public
// and block its socket to 127.0.0.1 (local network access); the real page is loopback anyway.
const launch = config.use!.launchOptions!
test.use({ launchOptions: { ...launch, args: [...(launch.args ?? []), '--disable-features=LocalNetworkAccessChecks'] } })

let server: RunningServer
test.beforeAll(async () => {
  server = await startServer([e2eModelRoot()])
})
test.afterAll(async () => server.stop())

// (the "web" project only: playwright.config.ts keeps it out of "desktop")
test('the studio runs under the desktop CSP without a single violation', async ({ page }) => {
  const socket = `ws://${new URL(server.origin).host}`
  const policy = desktopCsp().replace("connect-src 'self'", `connect-src 'self' ${socket}`)
  await page.route(`${server.origin}/**`, async (route) => {
    const response = await route.fetch()
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': policy } })
  })
  await page.addInitScript(() => {
    const seen: string[] = []
    ;(window as unknown as { cspViolations: string[] }).cspViolations = seen
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample}`))
  })
  await page.goto(server.url)
  await expect(page.getByTestId('engine-state')).toContainText('engine ready')
  await page.getByTestId('count').fill('2')
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(2, { timeout: 60_000 })
  for (const tool of ['repair', 'compose', 'ood', 'generate']) {
    await page.getByTestId(`tool-${tool}`).click()
    await page.waitForTimeout(300)
  }
  const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)
  expect(violations).toEqual([])
  // and the policy was in force: an inline style is refused
  const refused = await page.evaluate(() => {
    const style = document.createElement('style')
    style.textContent = 'body { outline: 3px solid red }'
    document.head.append(style)
    return getComputedStyle(document.body).outlineStyle
  })
  expect(refused).not.toBe('solid')
})
