import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { WebSocketServer, type WebSocket } from 'ws'
import { EngineSupervisor } from '../engine/hosts/engine-supervisor'
import { forkNodeEngine, type NodeEngineProcess } from '../engine/hosts/node-engine-process'
import { defaultModelsRoot } from '../engine/hosts/host-config'
import { defaultUserData, int8CacheDir, userModelsRoot } from '../engine/user-data'
import type { EngineStatus } from '../shared/engine-status'
import type { ClientMessage } from '../shared/engine-protocol'
import { isEngineToHost, type HostToEngine, type ServerToPage } from '../shared/process-messages'
import { MAX_WIRE_MESSAGE_BYTES } from '../shared/wire-limits'
import { isAllowedHost, isAllowedOrigin, newToken, tokensEqual } from './security'
import { judgeFrame } from './socket-frames'
import { StaticFolder } from './static-files'

/**
 * Browser mode: the built renderer and the engine contract over a WebSocket, on loopback
 * only, behind a per-launch token (docs/browser-mode-token.md says why). For GPU boxes
 * without a display, and for e2e tests. No client message may stop it: every bad frame gets
 * a close code or an error reply (socket-frames.ts).
 */
export interface WebServerOptions {
  port: number
  rendererDir: string
  modelRoots: string[]
  userData: string
  engineHost: string
  engineExecArgv?: string[]
  token?: string
}

export async function startWebServer(options: WebServerOptions) {
  const token = options.token ?? newToken()
  const sockets = new Map<number, WebSocket>()
  let nextConn = 1
  let engine: NodeEngineProcess | null = null

  const sendTo = (socket: WebSocket, message: unknown) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message))
  }
  const broadcast = (message: ServerToPage) => {
    for (const socket of sockets.values()) sendTo(socket, message)
  }
  const toEngine = (message: HostToEngine) => engine?.postMessage(message)
  const openConnections = () => {
    for (const conn of sockets.keys()) toEngine({ type: 'open', conn })
  }
  const supervisor = new EngineSupervisor<null>({
    fork: () => {
      engine = forkNodeEngine(
        options.engineHost,
        {
          modelRoots: options.modelRoots,
          sessionFile: join(options.userData, 'session.json'),
          importRoot: userModelsRoot(options.userData),
          calibrationsDir: join(options.userData, 'ood-calibrations'),
          int8CacheDir: int8CacheDir(options.userData)
        },
        options.engineExecArgv
      )
      const current = engine
      current.on('message', (message) => {
        if (!isEngineToHost(message) || message.type !== 'message' || current !== engine) return
        const socket = sockets.get(message.conn)
        if (socket) sendTo(socket, message.data)
      })
      return current
    },
    // sockets are multiplexed over the child's IPC: "connecting the window" re-opens them all
    createChannel: () => ({ engineEnd: null, windowEnd: null }),
    deliverToWindow: openConnections,
    notify: (status: EngineStatus) => broadcast({ kind: 'host-status', status })
  })

  const files = new StaticFolder(options.rendererDir)
  const server = createServer((req, res) => {
    void serveHttp(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error')
      else res.destroy()
    })
  })

  async function serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isAllowedHost(req.headers.host, port())) return send(res, 403, 'forbidden host')
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed')
    const raw = req.url ?? '/'
    const query = raw.indexOf('?')
    const rawPath = query < 0 ? raw : raw.slice(0, query)
    if (!rawPath.startsWith('/')) return send(res, 400, 'bad request: the path must start with /')
    // stored result images (user-data store/, named by content hash), behind the token like the page
    const stored = /^\/store\/([0-9a-f]{64}\.png)$/.exec(rawPath)
    if (stored) {
      if (!tokensEqual(new URLSearchParams(query < 0 ? '' : raw.slice(query + 1)).get('token'), token)) return send(res, 401, 'the image store needs the access token')
      if (!(await files.send(res, join(options.userData, 'store', stored[1]), false, req.method === 'HEAD'))) send(res, 404, 'not found')
      return
    }
    const target = await files.locate(rawPath)
    if (target.status !== 200) return send(res, target.status, target.text)
    // the token guards the page itself, however its path was spelled
    if (target.isIndex && !tokensEqual(new URLSearchParams(query < 0 ? '' : raw.slice(query + 1)).get('token'), token)) {
      return send(res, 401, 'EqM Studio: open the address that `npm run web` printed; it carries the access token.')
    }
    if (!(await files.send(res, target.file, target.isIndex, req.method === 'HEAD'))) send(res, 404, 'not found')
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WIRE_MESSAGE_BYTES })
  let closing = false
  server.on('upgrade', (req, socket, head) => {
    // a client resetting mid-handshake must not become an unhandled 'error'
    socket.on('error', () => socket.destroy())
    // a page reconnecting while the server stops would hold its close open
    if (closing) return void socket.destroy()
    let ok = false
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      ok =
        url.pathname === '/ws' &&
        isAllowedHost(req.headers.host, port()) &&
        isAllowedOrigin(req.headers.origin, port()) &&
        tokensEqual(url.searchParams.get('token'), token)
    } catch {
      ok = false
    }
    if (!ok) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachSocket(ws))
  })

  function attachSocket(ws: WebSocket): void {
    const conn = nextConn++
    sockets.set(conn, ws)
    toEngine({ type: 'open', conn })
    sendTo(ws, { kind: 'host-status', status: supervisor.current } satisfies ServerToPage)
    // ws reports over-size (closed with 1009) and invalid UTF-8 (1007) frames here; it has already closed the socket
    ws.on('error', () => undefined)
    ws.on('message', (data, isBinary) => {
      const verdict = judgeFrame(data, isBinary)
      if (verdict.action === 'close') ws.close(verdict.code, verdict.reason)
      else if (verdict.action === 'reply') sendTo(ws, verdict.reply)
      else if (verdict.action === 'host-command') supervisor.restart()
      else toEngine({ type: 'message', conn, data: verdict.message as ClientMessage })
    })
    ws.on('close', () => {
      sockets.delete(conn)
      toEngine({ type: 'close', conn })
    })
  }

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(options.port, '127.0.0.1', () => resolvePromise())
  })
  function port(): number {
    const address = server.address()
    return typeof address === 'object' && address ? address.port : options.port
  }
  supervisor.start()
  const url = `http://127.0.0.1:${port()}/?token=${token}`
  return {
    url,
    port: port(),
    supervisor,
    close: async () => {
      closing = true
      supervisor.stop()
      for (const socket of sockets.values()) socket.terminate()
      wss.close()
      const closed = new Promise<void>((r) => server.close(() => r()))
      // server.close waits for every connection to end; one in the middle of a request (a
      // stalled client, an image still streaming) would keep the process alive, so after a
      // short grace the rest are cut
      const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS)
      await closed
      clearTimeout(grace)
    }
  }
}

/** how long stopping waits for requests in flight before it cuts their connections */
const CLOSE_GRACE_MS = 1000

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' })
  res.end(text)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.EQM_WEB_PORT ?? '5183' },
      models: { type: 'string', multiple: true },
      'user-data': { type: 'string' }
    }
  })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`eqm web: --port must be an integer 0-65535, got ${values.port}`)
    process.exit(2)
  }
  const server = await startWebServer({
    port,
    rendererDir: join(__dirname, '..', 'renderer'),
    modelRoots: values.models?.length ? values.models : [defaultModelsRoot(), userModelsRoot(values['user-data'] ?? defaultUserData())],
    userData: values['user-data'] ?? defaultUserData(),
    engineHost: join(__dirname, 'engine-host.js')
  })
  console.log(`EqM Studio (browser mode) at ${server.url}`)
  console.log('Loopback only; the token in the address is the key, new at each launch. Ctrl+C stops.')
  const stop = () => void server.close().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

if (require.main === module) {
  main().catch((error) => {
    console.error(`eqm web: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  })
}
