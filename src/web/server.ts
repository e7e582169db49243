import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { parseArgs } from 'node:util'
import { WebSocketServer, type WebSocket } from 'ws'
import { EngineSupervisor } from '../engine/hosts/engine-supervisor'
import { forkNodeEngine, type NodeEngineProcess } from '../engine/hosts/node-engine-process'
import { defaultModelsRoot } from '../engine/hosts/host-config'
import { defaultUserData, userModelsRoot } from '../engine/user-data'
import type { EngineStatus } from '../shared/engine-status'
import type { ClientMessage } from '../shared/engine-protocol'
import { isEngineToHost, isHostCommand, type HostToEngine, type ServerToPage } from '../shared/process-messages'
import { CONTENT_SECURITY_POLICY, isAllowedHost, isAllowedOrigin, newToken, tokensEqual } from './security'

/**
 * Browser mode: the built renderer and the engine contract over a WebSocket, on loopback
 * only, behind a per-launch token. For GPU boxes without a display, and for e2e tests.
 */
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2'
}

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

  const broadcast = (message: ServerToPage) => {
    const text = JSON.stringify(message)
    for (const socket of sockets.values()) socket.send(text)
  }
  const toEngine = (message: HostToEngine) => engine?.postMessage(message)
  const openConnections = () => {
    for (const conn of sockets.keys()) toEngine({ type: 'open', conn })
  }
  const supervisor = new EngineSupervisor<null>({
    fork: () => {
      engine = forkNodeEngine(options.engineHost, { modelRoots: options.modelRoots, sessionFile: join(options.userData, 'session.json') }, options.engineExecArgv)
      const current = engine
      current.on('message', (message) => {
        if (isEngineToHost(message) && message.type === 'message' && current === engine) sockets.get(message.conn)?.send(JSON.stringify(message.data))
      })
      return current
    },
    // sockets are multiplexed over the child's IPC: "connecting the window" re-opens them all
    createChannel: () => ({ engineEnd: null, windowEnd: null }),
    deliverToWindow: openConnections,
    notify: (status: EngineStatus) => broadcast({ kind: 'host-status', status })
  })

  const server = createServer((req, res) => {
    void serveHttp(req, res).catch(() => send(res, 500, 'internal error'))
  })

  async function serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isAllowedHost(req.headers.host, port())) return send(res, 403, 'forbidden host')
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed')
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname === '/' || url.pathname === '/index.html') {
      if (!tokensEqual(url.searchParams.get('token'), token)) {
        return send(res, 401, 'EqM Studio: open the address that `npm run web` printed; it carries the access token.')
      }
      return serveFile(res, join(options.rendererDir, 'index.html'), true)
    }
    const file = resolve(options.rendererDir, normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, ''))
    if (!file.startsWith(resolve(options.rendererDir) + sep)) return send(res, 404, 'not found')
    return serveFile(res, file, false)
  }

  async function serveFile(res: ServerResponse, file: string, noStore: boolean): Promise<void> {
    try {
      if (!(await stat(file)).isFile()) return send(res, 404, 'not found')
    } catch {
      return send(res, 404, 'not found')
    }
    const body = await readFile(file)
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': noStore ? 'no-store' : 'no-cache'
    })
    res.end(body)
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 96 * 1024 * 1024 })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const ok =
      url.pathname === '/ws' &&
      isAllowedHost(req.headers.host, port()) &&
      isAllowedOrigin(req.headers.origin, port()) &&
      tokensEqual(url.searchParams.get('token'), token)
    if (!ok) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = nextConn++
      sockets.set(conn, ws)
      toEngine({ type: 'open', conn })
      ws.send(JSON.stringify({ kind: 'host-status', status: supervisor.current } satisfies ServerToPage))
      ws.on('message', (data, isBinary) => {
        if (isBinary) return
        let message: unknown
        try {
          message = JSON.parse(data.toString())
        } catch {
          return
        }
        if (isHostCommand(message)) {
          if (message.command === 'restart-engine') supervisor.restart()
          return
        }
        toEngine({ type: 'message', conn, data: message as ClientMessage })
      })
      ws.on('close', () => {
        sockets.delete(conn)
        toEngine({ type: 'close', conn })
      })
    })
  })

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
      supervisor.stop()
      for (const socket of sockets.values()) socket.terminate()
      wss.close()
      await new Promise<void>((r) => server.close(() => r()))
    }
  }
}

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
  console.log('Loopback only; the token in the address is the key. Ctrl+C stops.')
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
