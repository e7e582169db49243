import { describe, expect, it, vi } from 'vitest'
import { registerHandlers, type InvokeEvent, type IpcMainLike } from './ipc-guard'
import { buildHandlers } from './handlers'
import { CloseFlush } from './close-flush'
import { bytesToBase64 } from '../shared/base64'
import { PNG } from 'pngjs'

/** Electron's ipcMain replaced by a map of registered listeners: the guard itself runs as is. */
function fakeIpcMain() {
  const listeners = new Map<string, (event: InvokeEvent, ...args: unknown[]) => unknown>()
  const ipc: IpcMainLike = { handle: (channel, listener) => void listeners.set(channel, listener) }
  return { ipc, invoke: (channel: string, event: InvokeEvent, params?: unknown) => Promise.resolve(listeners.get(channel)!(event, params)), listeners }
}

const APP_URL = 'file:///opt/eqm/out/renderer/index.html'
const trusted: InvokeEvent = { sender: { id: 1 }, senderFrame: { url: APP_URL } }

function setup() {
  const supervisor = { connectWindow: vi.fn(), restart: vi.fn(), current: { state: 'ready' as const, restarts: 0 } }
  const saveImage = vi.fn(async () => ({ saved: true, path: '/tmp/x.png' }))
  const chooseImportSource = vi.fn(async (kind: 'model' | 'vae') => ({ path: kind === 'model' ? '/ckpt/EqM-XL-2.pt' : null }))
  const closeFlush = new CloseFlush()
  const handlers = buildHandlers({ supervisor, saveImage, chooseImportSource, closeFlush, appInfo: () => ({ version: '1', mode: 'desktop', platform: 'linux', userData: '/u' }) })
  const { ipc, invoke, listeners } = fakeIpcMain()
  registerHandlers(ipc, handlers, { webContentsIds: new Set([1]), url: (u) => u === APP_URL })
  return { invoke, listeners, supervisor, saveImage, chooseImportSource, closeFlush }
}

const png = bytesToBase64(PNG.sync.write(new PNG({ width: 2, height: 2 })))

describe('IPC handlers behind the sender guard', () => {
  it('registers a handler for every contract channel', () => {
    expect([...setup().listeners.keys()].sort()).toEqual(['app:flushed', 'app:info', 'engine:connect', 'engine:restart', 'engine:status', 'file:chooseImportSource', 'file:saveImage'])
  })

  it('serves the trusted window', async () => {
    const { invoke, supervisor } = setup()
    await expect(invoke('app:info', trusted, {})).resolves.toMatchObject({ mode: 'desktop' })
    await invoke('engine:connect', trusted, {})
    expect(supervisor.connectWindow).toHaveBeenCalledOnce()
  })

  it.each([
    ['another webContents', { sender: { id: 2 }, senderFrame: { url: APP_URL } }],
    ['a navigated frame', { sender: { id: 1 }, senderFrame: { url: 'https://evil.example/' } }],
    ['a frame that is gone', { sender: { id: 1 }, senderFrame: null }]
  ])('refuses %s', async (_what, event) => {
    const { invoke, supervisor } = setup()
    await expect(invoke('engine:restart', event as InvokeEvent, {})).rejects.toThrow(/refused, the sender is not the EqM Studio window/)
    expect(supervisor.restart).not.toHaveBeenCalled()
  })

  it("passes the window's save-before-close answer to the waiting close, and only from the window", async () => {
    const { invoke, closeFlush } = setup()
    const sent: number[] = []
    const closing = closeFlush.request((request) => sent.push(request), 60_000)
    await expect(invoke('app:flushed', { sender: { id: 2 }, senderFrame: { url: APP_URL } }, { request: sent[0] })).rejects.toThrow(/refused/)
    await expect(invoke('app:flushed', trusted, { request: 'all' })).rejects.toThrow(/request/)
    expect(closeFlush.pending).toBe(true)
    await expect(invoke('app:flushed', trusted, { request: sent[0] + 1 })).resolves.toEqual({ acknowledged: false })
    await expect(invoke('app:flushed', trusted, { request: sent[0] })).resolves.toEqual({ acknowledged: true })
    await expect(closing).resolves.toBe('saved')
  })

  it('validates payloads before a handler sees them', async () => {
    const { invoke, saveImage } = setup()
    await expect(invoke('file:saveImage', trusted, { suggestedName: '../../etc/passwd.png', pngBase64: png })).rejects.toThrow(/suggestedName/)
    await expect(invoke('file:saveImage', trusted, { suggestedName: 'a.png', pngBase64: png, extra: 1 })).rejects.toThrow(/Unrecognized key/)
    await expect(invoke('file:saveImage', trusted, { suggestedName: 'a.png', pngBase64: bytesToBase64(new Uint8Array([1, 2, 3])) })).rejects.toThrow(/not a PNG/)
    expect(saveImage).not.toHaveBeenCalled()
    await expect(invoke('file:saveImage', trusted, { suggestedName: 'a.png', pngBase64: png })).resolves.toEqual({ saved: true, path: '/tmp/x.png' })
  })

  it("asks main's native dialog for what Add model imports, and validates the kind", async () => {
    const { invoke, chooseImportSource } = setup()
    await expect(invoke('file:chooseImportSource', trusted, { kind: 'model' })).resolves.toEqual({ path: '/ckpt/EqM-XL-2.pt' })
    await expect(invoke('file:chooseImportSource', trusted, { kind: 'script' })).rejects.toThrow(/kind/)
    expect(chooseImportSource).toHaveBeenCalledOnce()
  })
})
