import type { EngineStatus } from '../../shared/engine-status'
import { isEngineToHost, type HostToEngine } from '../../shared/process-messages'

/** The slice of Electron's UtilityProcess the supervisor uses (a test double stands in for it under vitest). */
export interface EngineProcess {
  readonly pid: number | undefined
  postMessage(message: unknown, transfer?: unknown[]): void
  on(event: 'exit', listener: (code: number) => void): this
  on(event: 'message', listener: (message: unknown) => void): this
  kill(): boolean
}

export interface SupervisorDeps<Port> {
  fork(): EngineProcess
  /** a fresh channel: one end goes to the engine, the other to the window */
  createChannel(): { engineEnd: Port; windowEnd: Port }
  deliverToWindow(port: Port): void
  notify(status: EngineStatus): void
  /** how long to wait before restart n (1-based); crash loops back off */
  restartDelayMs?: (restart: number) => number
  maxRestarts?: number
}

/**
 * Keeps one engine process alive: forks it, connects the window to it with a MessagePort,
 * and after a crash tells the UI why, restarts it and reconnects the window.
 */
export class EngineSupervisor<Port> {
  private process: EngineProcess | null = null
  private restarts = 0
  private stopping = false
  private status: EngineStatus = { state: 'starting', restarts: 0 }
  private restartTimer: ReturnType<typeof setTimeout> | null = null

  constructor(private readonly deps: SupervisorDeps<Port>) {}

  get current(): EngineStatus {
    return this.status
  }

  start(): void {
    this.stopping = false
    this.spawn()
  }

  /** Gives the window a new port straight to the engine (at load, and after each restart). */
  connectWindow(): void {
    if (!this.process || this.status.state !== 'ready') return
    const { engineEnd, windowEnd } = this.deps.createChannel()
    this.process.postMessage({ type: 'connect' } satisfies HostToEngine, [engineEnd])
    this.deps.deliverToWindow(windowEnd)
  }

  /** The user's "restart engine": also after the supervisor gave up on a crash loop. */
  restart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.restartTimer = null
    this.restarts = 0
    const old = this.process
    this.process = null
    if (old) {
      old.kill()
    }
    this.spawn()
  }

  stop(): void {
    this.stopping = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.process?.kill()
    this.process = null
  }

  private spawn(): void {
    this.setStatus({ state: 'starting', restarts: this.restarts })
    const child = this.deps.fork()
    this.process = child
    child.on('message', (message) => {
      if (child !== this.process) return
      if (isEngineToHost(message) && message.type === 'ready') {
        this.setStatus({ state: 'ready', restarts: this.restarts, pid: child.pid, reason: this.status.reason })
        this.connectWindow()
      }
    })
    child.on('exit', (code) => {
      if (child !== this.process || this.stopping) return
      this.process = null
      const reason = describeExit(code)
      const max = this.deps.maxRestarts ?? 5
      if (this.restarts >= max) {
        this.setStatus({ state: 'failed', reason: `${reason}; gave up after ${max} restarts`, restarts: this.restarts })
        return
      }
      this.setStatus({ state: 'crashed', reason, restarts: this.restarts })
      this.restarts++
      const delay = this.deps.restartDelayMs?.(this.restarts) ?? Math.min(5000, 250 * 2 ** (this.restarts - 1))
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null
        if (!this.stopping) this.spawn()
      }, delay)
    })
  }

  private setStatus(status: EngineStatus): void {
    this.status = status
    this.deps.notify(status)
  }
}

function describeExit(code: number): string {
  if (code === 0) return 'the engine exited unexpectedly'
  if (code === 134) return 'the engine aborted (exit code 134): often out of memory or a native library failure'
  if (code === 137 || code === 9) return 'the engine was killed (exit code ' + code + ')'
  return `the engine crashed with exit code ${code}`
}
