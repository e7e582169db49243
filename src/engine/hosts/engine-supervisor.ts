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
  /** restarts in a row (without a healthy period between) before giving up */
  maxRestarts?: number
  /** an engine ready this long is healthy: the crash-loop count starts again from 0 */
  healthyAfterMs?: number
}

/**
 * Keeps one engine process alive: forks it, connects the window to it with a MessagePort,
 * and after a crash tells the UI why, restarts it and reconnects the window. Crashes in a row
 * back off and end in 'failed'; an engine that stayed up for healthyAfterMs resets that count,
 * so a crash a day does not add up to giving up in a week.
 */
export class EngineSupervisor<Port> {
  private process: EngineProcess | null = null
  /** restarts since start (shown to the user) */
  private restarts = 0
  /** restarts since the engine was last healthy (backoff and giving up) */
  private crashesInRow = 0
  private healthyTimer: ReturnType<typeof setTimeout> | null = null
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
    this.crashesInRow = 0
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
    this.clearHealthyTimer()
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
        this.clearHealthyTimer()
        this.healthyTimer = setTimeout(() => {
          this.healthyTimer = null
          if (child === this.process) this.crashesInRow = 0
        }, this.deps.healthyAfterMs ?? 60_000)
        this.healthyTimer.unref?.()
        this.connectWindow()
      }
    })
    child.on('exit', (code) => {
      if (child !== this.process || this.stopping) return
      this.process = null
      this.clearHealthyTimer()
      const reason = describeExit(code)
      const max = this.deps.maxRestarts ?? 5
      if (this.crashesInRow >= max) {
        this.setStatus({ state: 'failed', reason: `${reason}; gave up after ${max} restarts in a row`, restarts: this.restarts })
        return
      }
      this.setStatus({ state: 'crashed', reason, restarts: this.restarts })
      this.restarts++
      this.crashesInRow++
      const delay = this.deps.restartDelayMs?.(this.crashesInRow) ?? Math.min(5000, 250 * 2 ** (this.crashesInRow - 1))
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null
        if (!this.stopping) this.spawn()
      }, delay)
    })
  }

  private clearHealthyTimer(): void {
    if (this.healthyTimer) clearTimeout(this.healthyTimer)
    this.healthyTimer = null
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
