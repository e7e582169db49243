import type { EngineErrorPayload, EngineMessage, EngineMethod, JobEvent, ParamsOf, ResultOf } from '../../../shared/engine-protocol'
import type { Frame } from '../../../shared/frames'
import type { EngineConnection } from './connection'
import { describeDepthProblem } from '../../../shared/wire-limits'

export class EngineCallError extends Error {
  constructor(readonly payload: EngineErrorPayload) {
    super(payload.message)
    this.name = 'EngineCallError'
  }
  get code() {
    return this.payload.code
  }
}

interface Pending {
  resolve(value: unknown): void
  reject(error: unknown): void
}

/**
 * Typed calls to the engine over whatever connection the host provides. Calls made before
 * a connection exists wait for it; calls in flight when the engine dies fail with
 * 'engine-crashed' instead of hanging. While the host says it cannot reach the engine at all
 * (browser mode, server gone), calls fail at once with 'disconnected': nothing is queued that
 * could not be sent.
 */
export class EngineClient {
  private connection: EngineConnection | null = null
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly waiting: (() => void)[] = []
  private readonly frameListeners = new Map<string, (frame: Frame) => void>()
  private readonly jobListeners = new Set<(event: JobEvent) => void>()
  private unreachable: string | null = null

  attach(connection: EngineConnection): void {
    this.failPending('the engine restarted; the request was lost')
    this.unreachable = null
    this.connection = connection
    connection.onMessage((message) => this.receive(message))
    for (const resume of this.waiting.splice(0)) resume()
  }

  /** The engine died: everything in flight fails now, new calls wait for the next connection. */
  detach(reason: string): void {
    this.connection = null
    this.failPending(reason)
  }

  /** The engine cannot be reached until the next attach: in-flight and new calls fail now with `reason`. */
  disconnect(reason: string): void {
    this.connection = null
    this.unreachable = reason
    this.failPending(reason, 'disconnected')
    for (const resume of this.waiting.splice(0)) resume()
  }

  async call<M extends EngineMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (!this.connection && this.unreachable === null) await new Promise<void>((resume) => this.waiting.push(resume))
    if (!this.connection) throw new EngineCallError({ code: 'disconnected', message: `${method} was not sent: ${this.unreachable ?? 'no connection to the engine'}` })
    // the contract's bounds, checked here too: the server would refuse it (or close the socket) anyway
    const tooDeep = describeDepthProblem(params, `${method} params`)
    if (tooDeep) throw new EngineCallError({ code: 'bad-request', message: `${tooDeep}; it was not sent` })
    const id = this.nextId++
    return new Promise<ResultOf<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      try {
        this.connection!.send({ kind: 'request', id, method, params })
      } catch (error) {
        this.pending.delete(id)
        reject(new EngineCallError({ code: 'bad-request', message: `${method} was not sent: ${(error as Error).message}` }))
      }
    })
  }

  /** Frames of one job; the listener returns when the frame is drawn, and only then is it acked. */
  onFrames(jobId: string, listener: (frame: Frame) => void): () => void {
    this.frameListeners.set(jobId, listener)
    return () => this.frameListeners.delete(jobId)
  }

  onJobEvent(listener: (event: JobEvent) => void): () => void {
    this.jobListeners.add(listener)
    return () => this.jobListeners.delete(listener)
  }

  ack(jobId: string, seq: number): void {
    this.connection?.send({ kind: 'ack', jobId, seq })
  }

  private receive(message: EngineMessage): void {
    if (message.kind === 'response') {
      const pending = this.pending.get(message.id)
      if (!pending) return
      this.pending.delete(message.id)
      if (message.ok) pending.resolve(message.result)
      else pending.reject(new EngineCallError(message.error))
    } else if (message.kind === 'event' && message.event === 'frame') {
      const listener = this.frameListeners.get(message.data.jobId)
      if (listener) listener(message.data)
      else this.ack(message.data.jobId, message.data.seq)
    } else if (message.kind === 'event' && message.event === 'job') {
      for (const listener of this.jobListeners) listener(message.data)
    }
  }

  private failPending(reason: string, code: 'engine-crashed' | 'disconnected' = 'engine-crashed'): void {
    for (const pending of this.pending.values()) pending.reject(new EngineCallError({ code, message: reason }))
    this.pending.clear()
  }
}
