import { test as base, expect, type Page } from '@playwright/test'
import { cpSync, existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, startServer, type RunningServer } from './web-server'

/**
 * Model folder for browser-mode specs: the shipped Fashion-MNIST model when it is present,
 * else the analytic quadratic test field (the pipe is the same either way).
 */
export function e2eModelRoot(): string {
  if (existsSync(join(ROOT, 'models', 'fashion-mnist', 'manifest.json'))) return join(ROOT, 'models')
  const root = join(tmpdir(), 'eqm-e2e-models')
  rmSync(root, { recursive: true, force: true })
  cpSync(join(ROOT, 'test', 'fixtures', 'models', 'quadratic'), join(root, 'quadratic'), { recursive: true })
  return root
}

export const test = base.extend<{ server: RunningServer; studio: Page }>({
  server: async ({}, use) => {
    const server = await startServer([e2eModelRoot()])
    await use(server)
    await server.stop()
  },
  studio: async ({ page, server }, use) => {
    await page.goto(server.url)
    await expect(page.getByTestId('engine-state')).toContainText('engine ready')
    await expect(page.getByTestId('class-select')).toBeVisible()
    await use(page)
  }
})

export { expect }

/** All of the canvas's layer pixels, as one string: changes whenever anything drawn changes. */
export async function canvasSnapshot(page: Page): Promise<string> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLCanvasElement>('[data-testid=canvas] canvas'))
      .map((c) => c.toDataURL())
      .join('|')
  )
}

export async function setNumber(page: Page, testId: string, value: number): Promise<void> {
  const input = page.getByTestId(testId)
  await input.fill(String(value))
}
