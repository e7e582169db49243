import { test, expect, _electron as electron } from '@playwright/test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './support/web-server'

/** The desktop app through Playwright's Electron launcher, where an Electron binary exists. */
function electronBinary(): string | null {
  if (process.env.ELECTRON_EXEC_PATH) return existsSync(process.env.ELECTRON_EXEC_PATH) ? process.env.ELECTRON_EXEC_PATH : null
  try {
    const path = require('electron') as unknown as string
    return typeof path === 'string' && existsSync(path) ? path : null
  } catch {
    return null
  }
}

const binary = electronBinary()
if (!binary) {
  console.log('electron e2e skipped: no Electron binary (set ELECTRON_EXEC_PATH, or install electron with its binary download)')
}

test.describe('desktop app', () => {
  test.skip(!binary, 'no Electron binary on this machine: set ELECTRON_EXEC_PATH or install electron normally')

  test('opens a secure window, generates and shows the result', async () => {
    const app = await electron.launch({ executablePath: binary!, args: [join(ROOT, 'out/main/index.js')] })
    const window = await app.firstWindow()
    // no Node in the page, and only the narrow typed API crosses the context bridge
    const page = await window.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      api: Object.keys((window as unknown as { eqm: object }).eqm).sort()
    }))
    expect(page).toEqual({ require: 'undefined', process: 'undefined', api: ['invoke', 'onEngineStatus'] })
    await expect(window.getByTestId('engine-state')).toContainText('engine ready')
    await window.getByTestId('count').fill('2')
    await window.getByTestId('generate').click()
    await expect(window.getByTestId('gallery-item')).toHaveCount(2, { timeout: 60_000 })
    await app.close()
  })
})
