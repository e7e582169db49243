import type { JobEvent } from '../shared/engine-protocol'
import { EngineError, toErrorPayload } from './errors'

export interface JobContext {
  isCancelled(): boolean
  /** stop-and-keep was asked for: end the descent and return what there is */
  isStopped(): boolean
}

interface QueuedJob<T> {
  id: string
  /** jobs of one group may run together (descents of one model whose rows are packed) */
  group?: string
  cancelled: boolean
  stopped: boolean
  run: (context: JobContext) => Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

/**
 * Jobs run in order, one at a time, except that up to `groupConcurrency` jobs of the same group
 * may run together when the first waiting job belongs to the group of those running (row
 * packing; order is kept: a job of another group waits for the group to drain).
 * Cancel works queued or running (between steps).
 */
export class JobQueue {
  private readonly waiting: QueuedJob<unknown>[] = []
  private readonly running = new Set<QueuedJob<unknown>>()

  constructor(
    private readonly onEvent: (event: JobEvent) => void,
    private readonly groupConcurrency = 1
  ) {}

  submit<T>(id: string, run: (context: JobContext) => Promise<T>, group?: string): Promise<T> {
    if ([...this.running].some((j) => j.id === id) || this.waiting.some((j) => j.id === id)) {
      return Promise.reject(new EngineError('bad-request', `a job with id ${id} is already queued or running`))
    }
    return new Promise<T>((resolve, reject) => {
      const job: QueuedJob<T> = { id, group, cancelled: false, stopped: false, run, resolve, reject }
      this.waiting.push(job as QueuedJob<unknown>)
      this.onEvent({ jobId: id, state: 'queued', position: this.waiting.length - 1 + this.running.size })
      this.pump()
    })
  }

  cancel(id: string): boolean {
    const running = [...this.running].find((j) => j.id === id)
    if (running) {
      running.cancelled = true
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
    const running = [...this.running].find((job) => job.id === id)
    if (running) {
      running.stopped = true
      return true
    }
    return this.cancel(id)
  }

  get size(): number {
    return this.waiting.length + this.running.size
  }

  private canStart(job: QueuedJob<unknown>): boolean {
    if (this.running.size === 0) return true
    if (!job.group || this.running.size >= this.groupConcurrency) return false
    return [...this.running].every((r) => r.group === job.group)
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.canStart(this.waiting[0])) this.start(this.waiting.shift()!)
  }

  private start(job: QueuedJob<unknown>): void {
    this.running.add(job)
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
        this.running.delete(job)
        this.pump()
      })
  }
}
