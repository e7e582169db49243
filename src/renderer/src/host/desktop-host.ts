import type { EqmDesktopApi } from '../../../shared/ipc-contract'
import { ENGINE_PORT_MESSAGE } from '../../../shared/process-messages'
import type { EngineMessage } from '../../../shared/engine-protocol'
import type { EngineConnection, Host } from './connection'

/** The Electron window: status over IPC, the engine over a MessagePort that preload hands over. */
export function createDesktopHost(api: EqmDesktopApi): Host {
  const connectionListeners: ((c: EngineConnection) => void)[] = []
  let current: MessagePort | null = null
  window.addEventListener('message', (event) => {
    if (event.source !== window || event.data !== ENGINE_PORT_MESSAGE || !event.ports[0]) return
    current?.close()
    const port = event.ports[0]
    current = port
    const connection: EngineConnection = {
      send: (message) => port.postMessage(message),
      onMessage: (listener) => {
        port.onmessage = (e: MessageEvent<EngineMessage>) => listener(e.data)
      },
      close: () => port.close()
    }
    for (const listener of connectionListeners) listener(connection)
  })
  return {
    mode: 'desktop',
    onConnection: (listener) => {
      connectionListeners.push(listener)
      void api.invoke('engine:connect', {})
    },
    onStatus: (listener) => {
      api.onEngineStatus(listener)
      void api.invoke('engine:status', {}).then(listener)
    },
    restartEngine: () => void api.invoke('engine:restart', {}),
    saveImage: (name, pngBase64) => api.invoke('file:saveImage', { suggestedName: name, pngBase64 }),
    chooseImportSource: async (kind) => (await api.invoke('file:chooseImportSource', { kind })).path,
    onBeforeClose: (save) => {
      api.onFlushRequest((request) => {
        void save()
          .catch(() => {}) // main closes after its timeout either way; the answer must still go back
          .then(() => api.invoke('app:flushed', { request }))
          .catch(() => {}) // main is already closing the window: nothing is waiting for the answer
      })
    }
  }
}
