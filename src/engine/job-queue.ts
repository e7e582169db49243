import type { JobEvent } from '../shared/engine-protocol'
import { EngineError, toErrorPayload } from './errors'

export interface JobContext {
  isCancelled(): boolean
  /** stop-and-keep was asked for: end the descent and return what there is */
  isStopped(): boolean
}

interface QueuedJob<T> {
  id: string
  cancelled: boolean
  stopped: boolean
  run: (context: JobContext) => Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

/** One job runs at a time, the rest wait in order; cancel works queued or running (between steps). */
export class JobQueue {
  private readonly waiting: QueuedJob<unknown>[] = []
  private running: QueuedJob<unknown> | null = null

  constructor(private readonly onEvent: (event: JobEvent) => void) {}

  submit<T>(id: string, run: (context: JobContext) => Promise<T>): Promise<T> {
    if (this.running?.id === id || this.waiting.some((j) => j.id === id)) {
      return Promise.reject(new EngineError('bad-request', `a job with id ${id} is already queued or running`))
    }
    return new Promise<T>((resolve, reject) => {
      const job: QueuedJob<T> = { id, cancelled: false, stopped: false, run, resolve, reject }
      this.waiting.push(job as QueuedJob<unknown>)
      this.onEvent({ jobId: id, state: 'queued', position: this.waiting.length - 1 + (this.running ? 1 : 0) })
      this.pump()
    })
  }

  cancel(id: string): boolean {
    if (this.running?.id === id) {
      this.running.cancelled = true
      return true
    }
    const index = this.waiting.findIndex((j) => j.id === id)
    if (index < 0) return false
    const [job] = this.waiting.splice(index, 1)
    this.onEvent({ jobId: id, state: 'cancelled' })
    job.reject(new EngineError('cancelled', 'the job was cancelled before it started'))
    return true
  }

  /** Stop-and-keep: a running job ends after its current step with its samples as results; a queued one has none and is cancelled. */
  stop(id: string): boolean {
    if (this.running?.id === id) {
      this.running.stopped = true
      return true
    }
    return this.cancel(id)
  }

  get size(): number {
    return this.waiting.length + (this.running ? 1 : 0)
  }

  private pump(): void {
    if (this.running || this.waiting.length === 0) return
    const job = this.waiting.shift()!
    this.running = job
    this.onEvent({ jobId: job.id, state: 'running' })
    job
      .run({ isCancelled: () => job.cancelled, isStopped: () => job.stopped })
      .then(
        (value) => {
          this.onEvent({ jobId: job.id, state: 'done' })
          job.resolve(value)
        },
        (error) => {
          const payload = toErrorPayload(error)
          this.onEvent({ jobId: job.id, state: payload.code === 'cancelled' ? 'cancelled' : 'failed', error: payload })
          job.reject(error)
        }
      )
      .finally(() => {
        this.running = null
        this.pump()
      })
  }
}
