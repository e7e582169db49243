import type { EngineMessage } from '../../../shared/engine-protocol'
import type { EngineStatus } from '../../../shared/engine-status'
import type { HostCommand, ServerToPage } from '../../../shared/process-messages'
import { base64ToBytes } from '../../../shared/base64'
import type { EngineConnection, Host } from './connection'

/** Browser mode: one WebSocket to the loopback server, authenticated by the launch token. */
export function createWebHost(token: string): Host {
  const connectionListeners: ((c: EngineConnection) => void)[] = []
  const statusListeners: ((s: EngineStatus) => void)[] = []
  let socket: WebSocket | null = null
  let engineListener: ((m: EngineMessage) => void) | null = null

  const open = () => {
    const ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`)
    socket = ws
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as EngineMessage | ServerToPage
      if (message.kind === 'host-status') {
        for (const l of statusListeners) l(message.status)
        // the server re-attaches this socket to a restarted engine: a new connection for the client
        if (message.status.state === 'ready') announce()
      } else engineListener?.(message)
    }
    ws.onclose = () => {
      for (const l of statusListeners) l({ state: 'crashed', reason: 'lost the connection to the browser-mode server', restarts: 0 })
      setTimeout(open, 1000)
    }
  }
  const announce = () => {
    const connection: EngineConnection = {
      send: (message) => socket?.readyState === WebSocket.OPEN && socket.send(JSON.stringify(message)),
      onMessage: (listener) => {
        engineListener = listener
      },
      close: () => undefined
    }
    for (const l of connectionListeners) l(connection)
  }

  return {
    mode: 'web',
    onConnection: (listener) => {
      connectionListeners.push(listener)
      if (!socket) open()
    },
    onStatus: (listener) => statusListeners.push(listener),
    restartEngine: () => socket?.send(JSON.stringify({ kind: 'host-command', command: 'restart-engine' } satisfies HostCommand)),
    saveImage: async (name, pngBase64) => {
      const blob = new Blob([base64ToBytes(pngBase64) as BlobPart], { type: 'image/png' })
      const url = URL.createObjectURL(blob)
      const link = document.createElement('a')
      link.href = url
      link.download = name
      link.click()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      return { saved: true }
    }
  }
}
