import { contextBridge, ipcRenderer } from 'electron'
import type { EqmDesktopApi } from '../shared/ipc-contract'
import { IPC_INVOKE_CHANNELS } from '../shared/ipc-channels'
import { ENGINE_PORT_MESSAGE, type MainToRenderer, type MainToRendererChannel } from '../shared/process-messages'

/**
 * The renderer's only door to main: a narrow, typed object. Raw ipcRenderer never leaves
 * this file. The engine's MessagePort cannot cross contextBridge, so it is posted to the
 * page's own window, where the renderer picks it up (Electron's documented pattern).
 */
const INVOKE_CHANNELS: ReadonlySet<string> = new Set(IPC_INVOKE_CHANNELS)

/** main's one-way pushes, typed by the MainToRenderer contract */
function onMainEvent<C extends MainToRendererChannel>(channel: C, listener: (event: Electron.IpcRendererEvent, payload: MainToRenderer[C]) => void) {
  ipcRenderer.on(channel, listener)
  return () => void ipcRenderer.removeListener(channel, listener)
}

onMainEvent('engine:port', (event) => {
  window.postMessage(ENGINE_PORT_MESSAGE, window.location.origin === 'null' ? '*' : window.location.origin, event.ports)
})

const api: EqmDesktopApi = {
  invoke: (channel, params) => {
    if (!INVOKE_CHANNELS.has(channel)) return Promise.reject(new Error(`unknown channel ${String(channel)}`))
    return ipcRenderer.invoke(channel, params)
  },
  onEngineStatus: (listener) => {
    return onMainEvent('engine:status', (_event, status) => listener(status))
  },
  onFlushRequest: (listener) => {
    return onMainEvent('app:flush-before-close', (_event, { request }) => listener(request))
  }
}

contextBridge.exposeInMainWorld('eqm', api)
