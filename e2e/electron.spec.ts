import { test, expect, _electron as electron } from '@playwright/test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './support/web-server'
import { e2eModelRoot, electronBinary } from './support/fixtures'

const binary = electronBinary()
if (!binary) console.log('electron e2e skipped: no Electron binary (set ELECTRON_EXEC_PATH, or install electron with its binary download)')

/** Desktop-only guarantees: the window's isolation, and the engine restart after a crash. */
test.describe('desktop app security and engine supervision', () => {
  test.skip(!binary, 'no Electron binary on this machine: set ELECTRON_EXEC_PATH or install electron normally')

  test('the page has no Node and only the narrow typed API', async () => {
    const app = await electron.launch({ executablePath: binary!, args: [join(ROOT, 'out/main/index.js')], env: { ...process.env, EQM_MODELS: e2eModelRoot() } })
    const window = await app.firstWindow()
    const page = await window.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      api: Object.keys((window as unknown as { eqm: object }).eqm).sort()
    }))
    expect(page).toEqual({ require: 'undefined', process: 'undefined', api: ['invoke', 'onEngineStatus', 'onFlushRequest'] })
    // navigation away from the app is blocked: no navigation happens, the page keeps its API
    // the app is served from its own origin, never file://
    const before = window.url()
    expect(before).toBe('eqm-app://studio/index.html')
    const navigated = window.waitForEvent('framenavigated', { timeout: 3000 }).then(
      () => true,
      () => false
    )
    await window.evaluate(() => {
      location.href = 'https://example.com/'
    })
    expect(await navigated).toBe(false)
    expect(window.url()).toBe(before)
    expect(await window.evaluate(() => typeof (window as unknown as { eqm?: object }).eqm)).toBe('object')
    await app.close()
  })

  test('a setting changed just before quitting is there after the next start', async () => {
    // autosave holds settings back 0.6 s; quitting used to end the engine inside that pause
    const env = { ...process.env, EQM_MODELS: e2eModelRoot(), EQM_USER_DATA: mkdtempSync(join(tmpdir(), 'eqm-e2e-quit-')) }
    const launch = () => electron.launch({ executablePath: binary!, args: [join(ROOT, 'out/main/index.js')], env })
    let app = await launch()
    let window = await app.firstWindow()
    await expect(window.getByTestId('engine-state')).toContainText('engine ready')
    await expect(window.getByTestId('generate')).toBeEnabled() // the saved session is restored by now
    await window.getByTestId('count').fill('7')
    await app.close()
    app = await launch()
    window = await app.firstWindow()
    await expect(window.getByTestId('count')).toHaveValue('7', { timeout: 30_000 })
    await app.close()
  })

  test('a killed engine is restarted, the UI is told, and the next job runs', async () => {
    const app = await electron.launch({ executablePath: binary!, args: [join(ROOT, 'out/main/index.js')], env: { ...process.env, EQM_MODELS: e2eModelRoot() } })
    const window = await app.firstWindow()
    await expect(window.getByTestId('engine-state')).toContainText('engine ready')
    const pid = await window.evaluate(() => (window as unknown as { eqm: { invoke(c: string, p: object): Promise<{ pid: number }> } }).eqm.invoke('engine:status', {}).then((s) => s.pid))
    process.kill(pid, 'SIGKILL')
    await expect(window.getByTestId('notice')).toContainText('and was restarted', { timeout: 30_000 })
    await expect(window.getByTestId('engine-state')).toContainText('engine ready', { timeout: 30_000 })
    await window.getByTestId('count').fill('1')
    await window.getByTestId('generate').click()
    await expect(window.getByTestId('gallery-item')).toHaveCount(1, { timeout: 60_000 })
    await app.close()
  })
})
