import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT = join(__dirname, '..', '..')

export interface RunningServer {
  url: string
  origin: string
  userData: string
  process: ChildProcess
  /** stops the server; the user-data folder is removed unless kept (a restart on it follows) */
  stop(options?: { keepUserData?: boolean }): Promise<void>
}

export interface ServerOptions {
  /** 0 (default): a free port */
  port?: number
  /** more command-line arguments, e.g. --new-token */
  args?: string[]
}

/** Starts the built browser-mode server (npm run web without the build) on a free port. */
export async function startServer(modelRoots: string[], userData = mkdtempSync(join(tmpdir(), 'eqm-e2e-')), options: ServerOptions = {}): Promise<RunningServer> {
  const args = [join(ROOT, 'out/main/web-server.js'), '--port', String(options.port ?? 0), '--user-data', userData, ...modelRoots.flatMap((m) => ['--models', m]), ...(options.args ?? [])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web server did not start:\n${output}`)), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = output.match(/at (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/)
      if (match) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('exit', (code) => reject(new Error(`web server exited with ${code}:\n${output}`)))
  })
  return {
    url,
    origin: new URL(url).origin,
    userData,
    process: child,
    stop: async ({ keepUserData = false } = {}) => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      if (!keepUserData) rmSync(userData, { recursive: true, force: true })
    }
  }
}
