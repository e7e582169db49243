import type { EngineMessage } from '../../../shared/engine-protocol'
import type { EngineStatus } from '../../../shared/engine-status'
import type { HostCommand, ServerToPage } from '../../../shared/process-messages'
import { base64ToBytes } from '../../../shared/base64'
import { MAX_WIRE_MESSAGE_BYTES } from '../../../shared/wire-limits'
import type { EngineConnection, Host } from './connection'

/** Waits between reconnection probes while the server is gone: quick at first, then every 5 s. */
const RETRY_DELAYS_MS = [500, 1000, 2000, 5000]

export const SERVER_GONE_REASON = 'the browser-mode server is not reachable (was it stopped?); this page keeps checking and says what to do when it answers again'
export const TOKEN_REFUSED_REASON =
  'the browser-mode server was restarted: each launch has a new access token, so this page cannot reconnect. Open the new address it printed in its terminal (`npm run web` prints http://127.0.0.1:PORT/?token=...); your session is restored there'

/**
 * Browser mode: one WebSocket to the loopback server, authenticated by the launch token. When
 * the socket drops, the page says the server is gone (not that the engine crashed) and probes
 * it over HTTP: a server that still knows the token (the socket dropped, the server did not
 * stop) is reconnected; one that refuses it was restarted with a new token (per launch, see
 * docs/browser-mode-token.md), so the page stops probing and points to the new address.
 */
export function createWebHost(token: string): Host {
  const connectionListeners: ((c: EngineConnection) => void)[] = []
  const statusListeners: ((s: EngineStatus) => void)[] = []
  let socket: WebSocket | null = null
  let engineListener: ((m: EngineMessage) => void) | null = null
  let retries = 0
  let retryTimer: ReturnType<typeof setTimeout> | null = null

  const tell = (status: EngineStatus) => {
    for (const l of statusListeners) l(status)
  }

  const open = () => {
    const ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`)
    socket = ws
    ws.onmessage = (event) => {
      let message: EngineMessage | ServerToPage
      try {
        message = JSON.parse(String(event.data)) as EngineMessage | ServerToPage
      } catch {
        return
      }
      if (message.kind === 'host-status') {
        retries = 0
        tell(message.status)
        // the server re-attaches this socket to a restarted engine: a new connection for the client
        if (message.status.state === 'ready') announce()
      } else engineListener?.(message)
    }
    ws.onclose = () => {
      if (socket !== ws) return
      socket = null
      tell({ state: 'disconnected', reason: SERVER_GONE_REASON, restarts: 0 })
      scheduleProbe()
    }
  }

  const scheduleProbe = () => {
    if (retryTimer) return
    const delay = RETRY_DELAYS_MS[Math.min(retries, RETRY_DELAYS_MS.length - 1)]
    retries++
    retryTimer = setTimeout(() => {
      retryTimer = null
      void probe()
    }, delay)
  }

  /** Is the server back, and does it still know our token? Only then is a socket opened. */
  const probe = async () => {
    let status = 0
    try {
      status = (await fetch(`/?token=${encodeURIComponent(token)}`, { method: 'HEAD', cache: 'no-store' })).status
    } catch {
      status = 0
    }
    if (status === 200) open()
    else if (status === 401) tell({ state: 'disconnected', reason: TOKEN_REFUSED_REASON, restarts: 0, tokenRefused: true })
    else scheduleProbe()
  }

  const announce = () => {
    const connection: EngineConnection = {
      send: (message) => {
        const text = JSON.stringify(message)
        // the server closes the socket (1009) on anything larger: refuse it here, keep the connection
        const bytes = text.length * 3 <= MAX_WIRE_MESSAGE_BYTES ? text.length : new TextEncoder().encode(text).length
        if (bytes > MAX_WIRE_MESSAGE_BYTES) throw new Error(`the message is ${(bytes / 1e6).toFixed(1)} MB, more than the ${MAX_WIRE_MESSAGE_BYTES / 1024 / 1024} MB a message may be`)
        if (socket?.readyState === WebSocket.OPEN) socket.send(text)
      },
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
      if (!socket && !retryTimer) open()
    },
    onStatus: (listener) => statusListeners.push(listener),
    restartEngine: () => {
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ kind: 'host-command', command: 'restart-engine' } satisfies HostCommand))
      else {
        // the server is gone: "restart" means try to reach it now
        if (retryTimer) clearTimeout(retryTimer)
        retryTimer = null
        retries = 0
        void probe()
      }
    },
    // the page cannot pick a file on the server's machine; the dialog asks for its path
    chooseImportSource: async () => null,
    onBeforeClose: () => {},
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
