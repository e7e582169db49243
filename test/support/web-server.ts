import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import WebSocket from 'ws'
import { ROOT } from './paths'

export interface ServerProcess {
  url: string
  port: number
  token: string
  child: ChildProcess
  /** everything the server printed, stdout and stderr */
  output(): string
  /** a socket on /ws with the token and our own Origin, open; its messages recorded from the first */
  connect(): Promise<WebSocket & { record: SocketRecord }>
  stop(): Promise<void>
}

/** Starts test/support/web-server-main.ts (the real server and engine, from source) on a free port. */
export async function startServerProcess(options: { renderer: string; userData: string; models: string[]; token?: string; port?: number }): Promise<ServerProcess> {
  const args = ['--import', 'tsx', join(ROOT, 'test/support/web-server-main.ts'), '--renderer', options.renderer, '--user-data', options.userData]
  for (const m of options.models) args.push('--models', m)
  if (options.token) args.push('--token', options.token)
  if (options.port) args.push('--port', String(options.port))
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
    const poll = setInterval(() => {
      const match = output.match(/at (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/)
      if (match) {
        clearInterval(poll)
        clearTimeout(timer)
        resolve(match[1])
      }
    }, 20)
    child.once('exit', (code) => {
      clearInterval(poll)
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${output}`))
    })
  })
  const parsed = new URL(url)
  const port = Number(parsed.port)
  const token = parsed.searchParams.get('token')!
  return {
    url,
    port,
    token,
    child,
    output: () => output,
    connect: () =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { headers: { Origin: `http://127.0.0.1:${port}` } })
        const record = recordSocket(ws)
        ws.once('open', () => resolve(Object.assign(ws, { record })))
        ws.once('error', reject)
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
  }
}

export interface SocketRecord {
  messages: any[]
  closed: Promise<number>
}

/** Collects a socket's messages (parsed) and its close code. */
function recordSocket(ws: WebSocket): SocketRecord {
  const messages: any[] = []
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())))
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  ws.on('error', () => undefined)
  return { messages, closed }
}

export async function until<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const started = Date.now()
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
