import type { EngineSink } from './engine'
import { EngineError } from './errors'
import { MAX_JOBS_PER_CONNECTION } from '../shared/wire-limits'

interface OwnedJob {
  client: EngineSink
  /** the id the client chose; it only ever sees this one */
  jobId: string
  onAck: ((seq: number) => void) | null
}

/**
 * Which connection owns which job. A client's job ids live in its own scope: the queue runs
 * them under a scoped key ("<scope>/<jobId>"), so two connections may both use "job-1", and
 * one can neither cancel, ack nor hear about the other's. Each connection may hold at most
 * MAX_JOBS_PER_CONNECTION jobs queued or running; past that it is told it is busy.
 */
export class JobOwners {
  private readonly scopes = new WeakMap<EngineSink, number>()
  private nextScope = 1
  private readonly jobs = new Map<string, OwnedJob>()
  private readonly counts = new Map<EngineSink, number>()

  constructor(private readonly maxPerClient = MAX_JOBS_PER_CONNECTION) {}

  /** The queue key of a client's job id (whether or not it exists). */
  key(client: EngineSink, jobId: string): string {
    let scope = this.scopes.get(client)
    if (scope === undefined) {
      scope = this.nextScope++
      this.scopes.set(client, scope)
    }
    return `${scope}/${jobId}`
  }

  /** Registers a new job for a client; refuses a duplicate id and a client over its cap. */
  claim(client: EngineSink, jobId: string): string {
    const key = this.key(client, jobId)
    if (this.jobs.has(key)) throw new EngineError('bad-request', `a job with id ${jobId} is already queued or running`)
    const held = this.counts.get(client) ?? 0
    if (held >= this.maxPerClient) {
      throw new EngineError('busy', `busy: this connection already has ${held} jobs queued or running (at most ${this.maxPerClient}); wait for one to finish or cancel one`)
    }
    this.jobs.set(key, { client, jobId, onAck: null })
    this.counts.set(client, held + 1)
    return key
  }

  release(key: string): void {
    const job = this.jobs.get(key)
    if (!job) return
    this.jobs.delete(key)
    const held = (this.counts.get(job.client) ?? 1) - 1
    if (held > 0) this.counts.set(job.client, held)
    else this.counts.delete(job.client)
  }

  owner(key: string): { client: EngineSink; jobId: string } | undefined {
    return this.jobs.get(key)
  }

  keysOf(client: EngineSink): string[] {
    return [...this.jobs].filter(([, job]) => job.client === client).map(([key]) => key)
  }

  onAck(key: string, listener: ((seq: number) => void) | null): void {
    const job = this.jobs.get(key)
    if (job) job.onAck = listener
  }

  /** A client's ack of one of its own jobs' frames; anything else is ignored. */
  ack(client: EngineSink, jobId: unknown, seq: unknown): void {
    if (typeof jobId !== 'string' || typeof seq !== 'number' || !Number.isFinite(seq)) return
    this.jobs.get(this.key(client, jobId))?.onAck?.(seq)
  }
}
