import { test as base, expect, _electron as electron, type Page } from '@playwright/test'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, startServer } from './web-server'

/**
 * Model folder for the specs: the shipped Fashion-MNIST model when it is present, else the
 * analytic quadratic test field (the pipe is the same either way).
 */
export function e2eModelRoot(): string {
  if (existsSync(join(ROOT, 'models', 'fashion-mnist', 'manifest.json'))) return join(ROOT, 'models')
  const root = join(tmpdir(), 'eqm-e2e-models')
  rmSync(root, { recursive: true, force: true })
  cpSync(join(ROOT, 'test', 'fixtures', 'models', 'quadratic'), join(root, 'quadratic'), { recursive: true })
  return root
}

/** The Electron binary for the desktop project: ELECTRON_EXEC_PATH or the installed package's. */
export function electronBinary(): string | null {
  if (process.env.ELECTRON_EXEC_PATH) return existsSync(process.env.ELECTRON_EXEC_PATH) ? process.env.ELECTRON_EXEC_PATH : null
  try {
    const path = require('electron') as unknown as string
    return typeof path === 'string' && existsSync(path) ? path : null
  } catch {
    return null
  }
}

export function isDesktop(projectName: string): boolean {
  return projectName === 'desktop'
}

/**
 * `studio`: the app, ready, on a fresh user-data folder. The same specs run in the browser
 * mode (project "web") and in the Electron app (project "desktop", where a binary exists).
 */
export const test = base.extend<{ studio: Page }>({
  studio: async ({ page }, use, testInfo) => {
    if (isDesktop(testInfo.project.name)) {
      const binary = electronBinary()
      test.skip(!binary, 'no Electron binary on this machine: set ELECTRON_EXEC_PATH or install electron with its binary download')
      const userData = mkdtempSync(join(tmpdir(), 'eqm-e2e-desktop-'))
      const app = await electron.launch({
        executablePath: binary!,
        args: [join(ROOT, 'out/main/index.js')],
        env: { ...process.env, EQM_USER_DATA: userData, EQM_MODELS: e2eModelRoot() }
      })
      const window = await app.firstWindow()
      await window.setViewportSize({ width: 1280, height: 720 })
      await expect(window.getByTestId('engine-state')).toContainText('engine ready')
      await expect(window.getByTestId('class-select')).toBeVisible()
      await use(window)
      await app.close()
      rmSync(userData, { recursive: true, force: true })
      return
    }
    const server = await startServer([e2eModelRoot()])
    await page.goto(server.url)
    await expect(page.getByTestId('engine-state')).toContainText('engine ready')
    await expect(page.getByTestId('class-select')).toBeVisible()
    await use(page)
    await server.stop()
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
  await page.getByTestId(testId).fill(String(value))
}

/** Generate's sampler moved to NAG-GD: the model's descent preset, with its step size and stop (tests of the descent itself). */
export async function useDescent(page: Page): Promise<void> {
  await page.getByTestId('method').selectOption('nag')
  await expect(page.getByTestId('stop-grad-norm')).toBeVisible()
}

/**
 * A Generate job that takes every one of `steps` steps (to watch, cancel or crash it mid-run):
 * a descent gets its stop switched off; the clock (the shipped model's default) never stops early.
 */
export async function runAllSteps(page: Page, steps: number): Promise<void> {
  await setNumber(page, 'max-steps', steps)
  if ((await page.getByTestId('method').inputValue()) !== 'clock') await setNumber(page, 'stop-grad-norm', 0)
}
