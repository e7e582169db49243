import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type WebSocket from 'ws'
import { FIXTURE_MODELS } from './support/paths'
import { startServerProcess, until, type ServerProcess, type SocketRecord } from './support/web-server'
import { MAX_JOBS_PER_CONNECTION } from '../src/shared/wire-limits'

/** Issue 9 item 6: jobs belong to the connection that queued them; each connection has a cap. */
let dir: string
let server: ServerProcess

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eqm-scope-'))
  mkdirSync(join(dir, 'renderer'))
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html>')
  server = await startServerProcess({ renderer: join(dir, 'renderer'), userData: join(dir, 'user'), models: [FIXTURE_MODELS] })
})
afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

type Client = { ws: WebSocket; messages: any[]; call(id: number, method: string, params: unknown): Promise<any> }

async function client(): Promise<Client> {
  const ws = await server.connect()
  const { messages } = ws.record
  await until('engine ready', () => messages.find((m) => m.kind === 'host-status' && m.status.state === 'ready'))
  // frames are acked at once, as a window that paints promptly would
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString())
    if (m.kind === 'event' && m.event === 'frame') ws.send(JSON.stringify({ kind: 'ack', jobId: m.data.jobId, seq: m.data.seq }))
  })
  const call = (id: number, method: string, params: unknown) => {
    ws.send(JSON.stringify({ kind: 'request', id, method, params }))
    return until(`reply ${id}`, () => messages.find((m) => m.kind === 'response' && m.id === id))
  }
  return { ws, messages, call }
}

const longJob = (jobId: string) => ({ jobId, modelId: 'quadratic', seed: 1, count: 64, conditions: [], sampler: { maxSteps: 5000, stopGradNorm: 0 } })
const jobEvents = (c: Client, jobId: string) => c.messages.filter((m) => m.kind === 'event' && m.event === 'job' && m.data.jobId === jobId).map((m) => m.data.state)

describe('job ownership across connections (real server and engine)', () => {
  it('one connection can neither cancel nor hear about another connection\'s job of the same id', async () => {
    const a = await client()
    const b = await client()
    a.ws.send(JSON.stringify({ kind: 'request', id: 1, method: 'generate', params: longJob('job-1') }))
    await until('a frame of A\'s job', () => a.messages.find((m) => m.kind === 'event' && m.event === 'frame'))

    expect((await b.call(2, 'cancel', { jobId: 'job-1' })).result).toEqual({ cancelled: false })
    // B may use the same id for its own job: it queues behind A's
    b.ws.send(JSON.stringify({ kind: 'request', id: 3, method: 'generate', params: longJob('job-1') }))
    await until('B\'s job queued', () => jobEvents(b, 'job-1').includes('queued'))
    expect(jobEvents(a, 'job-1')).toEqual(['queued', 'running'])
    expect(jobEvents(b, 'job-1')).toEqual(['queued'])

    expect((await a.call(4, 'cancel', { jobId: 'job-1' })).result).toEqual({ cancelled: true })
    expect((await until('A\'s reply', () => a.messages.find((m) => m.id === 1))).error.code).toBe('cancelled')
    await until('B\'s job running', () => jobEvents(b, 'job-1').includes('running'))
    expect(b.messages.filter((m) => m.event === 'frame').every((m) => m.data.jobId === 'job-1')).toBe(true)
    expect((await b.call(5, 'cancel', { jobId: 'job-1' })).result).toEqual({ cancelled: true })
    a.ws.close()
    b.ws.close()
  })

  it(`a connection gets a clear "busy" error past ${MAX_JOBS_PER_CONNECTION} jobs; another connection is not affected`, async () => {
    const a = await client()
    const b = await client()
    for (let i = 0; i <= MAX_JOBS_PER_CONNECTION; i++) a.ws.send(JSON.stringify({ kind: 'request', id: 100 + i, method: 'generate', params: longJob(`cap-${i}`) }))
    const refused = await until('the refusal', () => a.messages.find((m) => m.kind === 'response' && m.id === 100 + MAX_JOBS_PER_CONNECTION))
    expect(refused.error.code).toBe('busy')
    expect(refused.error.message).toMatch(new RegExp(`busy: .*${MAX_JOBS_PER_CONNECTION} jobs queued or running`))
    // B still queues
    b.ws.send(JSON.stringify({ kind: 'request', id: 200, method: 'generate', params: longJob('other') }))
    await until('B\'s job queued', () => jobEvents(b, 'other').includes('queued'))
    // closing A cancels its jobs; B's then runs
    a.ws.close()
    await until('B\'s job running', () => jobEvents(b, 'other').includes('running'))
    expect((await b.call(201, 'cancel', { jobId: 'other' })).result).toEqual({ cancelled: true })
    b.ws.close()
  })
})
