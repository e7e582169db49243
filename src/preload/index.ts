import { contextBridge, ipcRenderer } from 'electron'
import type { EqmDesktopApi } from '../shared/ipc-contract'
import { ENGINE_PORT_MESSAGE, IPC_INVOKE_CHANNELS } from '../shared/ipc-channels'
import type { EngineStatus } from '../shared/engine-status'

/**
 * The renderer's only door to main: a narrow, typed object. Raw ipcRenderer never leaves
 * this file. The engine's MessagePort cannot cross contextBridge, so it is posted to the
 * page's own window, where the renderer picks it up (Electron's documented pattern).
 */
const INVOKE_CHANNELS: ReadonlySet<string> = new Set(IPC_INVOKE_CHANNELS)

ipcRenderer.on('engine:port', (event) => {
  window.postMessage(ENGINE_PORT_MESSAGE, window.location.origin === 'null' ? '*' : window.location.origin, event.ports)
})

const api: EqmDesktopApi = {
  invoke: (channel, params) => {
    if (!INVOKE_CHANNELS.has(channel)) return Promise.reject(new Error(`unknown channel ${String(channel)}`))
    return ipcRenderer.invoke(channel, params)
  },
  onEngineStatus: (listener) => {
    const wrapped = (_event: unknown, status: EngineStatus) => listener(status)
    ipcRenderer.on('engine:status', wrapped)
    return () => ipcRenderer.removeListener('engine:status', wrapped)
  }
}

contextBridge.exposeInMainWorld('eqm', api)
