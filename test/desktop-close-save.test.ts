import { cpSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../src/engine/engine'
import { CloseFlush } from '../src/main/close-flush'
import { buildHandlers } from '../src/main/handlers'
import { registerHandlers, type InvokeEvent } from '../src/main/ipc-guard'
import { createDesktopHost } from '../src/renderer/src/host/desktop-host'
import { EngineClient } from '../src/renderer/src/host/engine-client'
import { restoreSession } from '../src/renderer/src/session/restore'
import { startAutosave, type Autosave } from '../src/renderer/src/session/autosave'
import { createStudioStore } from '../src/renderer/src/store/studio-store'
import { loadModels } from '../src/renderer/src/store/generate-actions'
import type { EqmDesktopApi } from '../src/shared/ipc-contract'
import { connectInProcess, installBrowserGlobals } from './support/in-process-engine'
import { FIXTURE_MODELS } from './support/paths'

/**
 * Closing the desktop window saves first, through every real piece between main and the engine:
 * main's CloseFlush and its guarded 'app:flushed' handler, the renderer's desktop host, the
 * autosave and the engine writing a user-data folder. Only Electron's IPC transport is replaced:
 * main's webContents.send calls the preload's listener, and the preload's invoke calls main's handler.
 */
const APP_URL = 'eqm-app://studio/index.html'
const trusted: InvokeEvent = { sender: { id: 1 }, senderFrame: { url: APP_URL } }
const engines: Engine[] = []
const autosaves: Autosave[] = []

beforeAll(() => {
  installBrowserGlobals()
  // the desktop host listens for the engine's port on the page's window; nothing is posted here
  ;(globalThis as { window?: unknown }).window ??= { addEventListener: () => {} }
})
afterAll(() => {
  for (const autosave of autosaves) autosave.stop()
  for (const engine of engines) void engine.dispose()
})

/** main (CloseFlush + handlers behind the guard) and a preload API wired to it in memory */
function desktopMain() {
  const closeFlush = new CloseFlush()
  const handlers = new Map<string, (event: InvokeEvent, ...args: unknown[]) => unknown>()
  const supervisor = { connectWindow: () => {}, restart: () => {}, current: { state: 'ready' as const, restarts: 0 } }
  registerHandlers(
    { handle: (channel, listener) => void handlers.set(channel, listener) },
    buildHandlers({
      supervisor,
      closeFlush,
      saveImage: async () => ({ saved: false }),
      chooseImportSource: async () => ({ path: null }),
      appInfo: () => ({ version: 'test', mode: 'desktop', platform: 'linux', userData: '' })
    }),
    { webContentsIds: new Set([1]), url: (url) => url === APP_URL }
  )
  let flushListener: ((request: number) => void) | null = null
  const api: EqmDesktopApi = {
    invoke: (async (channel: string, params: unknown) => handlers.get(channel)!(trusted, params)) as EqmDesktopApi['invoke'],
    onEngineStatus: () => () => {},
    onFlushRequest: (listener) => {
      flushListener = listener
      return () => void (flushListener = null)
    }
  }
  /** what main's window 'close' handler does: ask, then wait for the answer or the timeout */
  const closeWindow = (timeoutMs: number) => closeFlush.request((request) => flushListener?.(request), timeoutMs)
  return { api, closeWindow }
}

async function studio(autosaveDelays: { settingsDelayMs: number; retryDelaysMs: number[] }) {
  const models = mkdtempSync(join(tmpdir(), 'eqm-close-models-'))
  cpSync(join(FIXTURE_MODELS, 'quadratic'), join(models, 'quadratic'), { recursive: true })
  const folder = mkdtempSync(join(tmpdir(), 'eqm-close-user-'))
  const engine = new Engine({ modelRoots: [models], frameIntervalMs: 0, sessionFile: join(folder, 'session.json') })
  engines.push(engine)
  const store = createStudioStore()
  const client = new EngineClient()
  const hangUp = connectInProcess(engine, client)
  const autosave = startAutosave(store, client, await restoreSession(store, client), autosaveDelays)
  await loadModels(store, client)
  autosaves.push(autosave)
  const savedCount = () => JSON.parse(readFileSync(join(folder, 'session.json'), 'utf8')).data.generate.count
  return { store, client, autosave, hangUp, savedCount }
}

describe('closing the desktop window', () => {
  it('saves a setting that autosave still held back before main may close it', async () => {
    const { api, closeWindow } = desktopMain()
    // a settings delay no test waits for: only the save before the close can write the change
    const { store, autosave, savedCount } = await studio({ settingsDelayMs: 60_000, retryDelaysMs: [60_000] })
    createDesktopHost(api).onBeforeClose(async () => void (await autosave.saveBeforeClose()))
    await autosave.saveBeforeClose() // what loading the model changed, so that session.json exists
    store.setState((s) => ({ generate: { ...s.generate, count: 9 } }))
    expect(savedCount()).not.toBe(9)
    await expect(closeWindow(5_000)).resolves.toBe('saved')
    expect(savedCount()).toBe(9)
  })

  it('still closes when the engine is gone: the page answers although its save failed', async () => {
    const { api, closeWindow } = desktopMain()
    const { store, client, autosave, hangUp } = await studio({ settingsDelayMs: 60_000, retryDelaysMs: [60_000] })
    createDesktopHost(api).onBeforeClose(async () => void (await autosave.saveBeforeClose()))
    hangUp()
    client.disconnect('the engine stopped')
    store.setState((s) => ({ generate: { ...s.generate, count: 10 } }))
    // answered, not timed out: a close never waits out the 60-second retry
    await expect(closeWindow(5_000)).resolves.toBe('saved')
  })
})
