import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FIXTURE_MODELS, ROOT } from './support/paths'
import { startServerProcess, until, type ServerProcess, type SocketRecord } from './support/web-server'
import { MAX_JSON_DEPTH, MAX_WIRE_MESSAGE_BYTES } from '../src/shared/wire-limits'
import { engineParamSchemas } from '../src/shared/engine-schemas'

/**
 * Fuzzes the browser-mode WebSocket endpoint and the engine's method schemas over loopback,
 * against the real server and engine processes: valid requests mutated (keys dropped, values
 * replaced by anything, extra keys, deep nesting), random text, truncated JSON, random bytes
 * as text (invalid UTF-8), binary frames, big frames. Invariants: the server and the engine
 * stay up (same engine pid, never 'crashed'), every text frame that is not an ack gets exactly
 * one reply, and a closing frame closes with its code. Bounded to about a minute.
 */
const TIME_LIMIT_MS = 50_000
const SEED = Number(process.env.EQM_FUZZ_SEED ?? 20261129)

let dir: string
let server: ServerProcess
let watcher: SocketRecord
let enginePid: number

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eqm-fuzz-'))
  mkdirSync(join(dir, 'renderer'))
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html>')
  server = await startServerProcess({ renderer: join(dir, 'renderer'), userData: join(dir, 'user'), models: [FIXTURE_MODELS] })
  watcher = (await server.connect()).record
  const ready = await until('engine ready', () => watcher.messages.find((m) => m.kind === 'host-status' && m.status.state === 'ready'))
  enginePid = ready.status.pid
})
afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const image = { width: 8, height: 8, channels: 1, data: Buffer.alloc(64, 90).toString('base64') }
const sampler = { maxSteps: 3 }
/** one valid params object per method: the seeds the mutations start from */
const templates: Record<string, unknown> = {
  'engine.info': {},
  'engine.setProvider': { provider: 'cpu' },
  'engine.setCpuPrecision': { precision: 'int8' },
  'models.list': {},
  generate: { jobId: 'j', modelId: 'quadratic', seed: 1, count: 2, conditions: [{ classIndex: 1, weight: 1 }], sampler },
  repair: { jobId: 'j', modelId: 'quadratic', seed: 1, image, mask: image, strength: 0.5, sampler },
  'ood.score': { modelId: 'quadratic', images: [{ name: 'a.png', image }] },
  'ood.calibrate': { modelId: 'quadratic', images: [{ name: 'a.png', image }, { name: 'b.png', image }], source: 'fuzz' },
  'ood.resetCalibration': { modelId: 'quadratic' },
  'repair.photo': {
    jobId: 'j', modelId: 'quadratic', seed: 1, strength: 0.5, sampler,
    photo: { name: 'p.png', data: readFileSync(join(ROOT, 'test', 'fixtures', 'images', 'palette-alpha.png')).toString('base64') },
    mask: { x: 0, y: 0, width: 1, height: 1, data: Buffer.alloc(1, 255).toString('base64') }
  },
  'image.classify': { modelId: 'quadratic', image },
  cancel: { jobId: 'j' },
  stop: { jobId: 'j' },
  'session.save': { data: { gallery: [{ title: 'x', params: { seed: 1 } }] } },
  'session.load': {},
  'session.keepAside': { reason: 'partial' },
  'history.append': { ops: [{ op: 'add', entry: { id: 'a', image: `${'ab'.repeat(32)}.png`, title: 'x' } }, { op: 'remove', ids: ['a'] }] },
  'store.put': { blobs: [{ data: 'iVBORw0KGgoAAAANSUhEUg==', type: 'png' }] },
  'store.get': { ref: `${'ab'.repeat(32)}.png` },
  'models.import': { kind: 'vae', source: '/nonexistent/eqm-fuzz-source' }
}
const methods = Object.keys(engineParamSchemas)

function nest(depth: number, leaf: unknown, asArray: boolean): unknown {
  let value = leaf
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value }
  return value
}

/** A value at a path replaced, a key removed, or an extra key added: mutations of a valid params object. */
const mutatedParams = (method: string) =>
  fc.oneof(
    fc.constant(templates[method]),
    fc.record({ key: fc.constantFrom(...Object.keys(templates[method] as object), 'extra', '__proto__', 'constructor'), value: fc.anything({ maxDepth: 4 }) }).map(({ key, value }) => ({ ...(templates[method] as object), [key]: value })),
    fc.constantFrom(...Object.keys(templates[method] as object), 'absent').map((key) => {
      const copy = { ...(templates[method] as Record<string, unknown>) }
      delete copy[key]
      return copy
    }),
    fc.record({ depth: fc.integer({ min: MAX_JSON_DEPTH - 3, max: 300 }), asArray: fc.boolean() }).map(({ depth, asArray }) => ({ ...(templates[method] as object), data: nest(depth, 1, asArray) })),
    fc.anything({ maxDepth: 3 })
  )

type Frame = { text: string } | { bytes: Buffer; binary: boolean; closes: number }

const request = fc
  .record({ method: fc.oneof(fc.constantFrom(...methods), fc.string({ maxLength: 12 })), id: fc.oneof(fc.nat(), fc.double(), fc.string(), fc.constant(null)) })
  .chain(({ method, id }) => (methods.includes(method) ? mutatedParams(method) : fc.anything({ maxDepth: 2 })).map((params) => ({ kind: 'request', id, method, params })))

const textFrame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 6, arbitrary: request.map((m) => ({ text: JSON.stringify(m) })) },
  // a valid request cut anywhere: malformed JSON
  { weight: 2, arbitrary: fc.tuple(request, fc.double({ min: 0, max: 1, noNaN: true })).map(([m, cut]) => { const t = JSON.stringify(m); return { text: t.slice(0, Math.max(1, Math.floor(t.length * cut))) } }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 5 }).map((v) => ({ text: JSON.stringify(v) ?? 'null' })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('ack', 'host-command', 'hello', 'response'), jobId: fc.oneof(fc.string(), fc.anything({ maxDepth: 1 })), seq: fc.oneof(fc.integer(), fc.anything({ maxDepth: 1 })), command: fc.string() }, { requiredKeys: ['kind'] }).map((m) => ({ text: JSON.stringify(m) })) },
  // nesting too deep to build as a value here: written as text, arrays or objects
  { weight: 1, arbitrary: fc.record({ depth: fc.integer({ min: 300, max: 20_000 }), asArray: fc.boolean(), method: fc.constantFrom(...methods) }).map(({ depth, asArray, method }) => ({ text: `{"kind":"request","id":2,"method":"${method}","params":{"data":${(asArray ? '[' : '{"a":').repeat(depth)}1${(asArray ? ']' : '}').repeat(depth)}}}` })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map((mb) => ({ text: JSON.stringify({ kind: 'request', id: 1, method: 'session.save', params: { data: 'x'.repeat(mb * 1024 * 1024) } }) })) }
)

/** A frame that ends its socket: ws or the server closes it with this code. */
const closingFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({ bytes: Buffer.concat([Buffer.from(b), Buffer.from([0xff])]), binary: false, closes: 1007 })),
  fc.uint8Array({ minLength: 0, maxLength: 64 }).map((b) => ({ bytes: Buffer.from(b), binary: true, closes: 1003 }))
)

function expectsReply(text: string): boolean {
  try {
    const message = JSON.parse(text)
    // a well-formed ack is a notification; everything else, a malformed ack included, is answered
    return !(message?.kind === 'ack' && typeof message.jobId === 'string' && typeof message.seq === 'number')
  } catch {
    return true
  }
}

async function round(frames: Frame[], closer: Frame | null): Promise<void> {
  const ws = await server.connect()
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString())
    if (m.kind === 'event' && m.event === 'frame') ws.send(JSON.stringify({ kind: 'ack', jobId: m.data.jobId, seq: m.data.seq }))
  })
  let expected = 0
  // ids are made unique per frame, so the replies can be counted (one per frame)
  for (const frame of frames) {
    if ('text' in frame) {
      ws.send(frame.text)
      if (expectsReply(frame.text)) expected++
    }
  }
  const replies = () => ws.record.messages.filter((m) => m.kind === 'response').length
  await until(`${expected} replies (got ${replies()}) to ${JSON.stringify(frames).slice(0, 500)}`, () => replies() >= expected, 30_000)
  expect(replies()).toBe(expected)
  if (closer && !('text' in closer)) {
    ws.send(closer.bytes, { binary: closer.binary })
    expect(await ws.record.closed).toBe(closer.closes)
  } else ws.close()
}

describe('fuzzing the browser-mode socket and the engine schemas (real processes, loopback)', () => {
  it('stays up and answers every frame', async () => {
    const started = Date.now()
    let rounds = 0
    await fc.assert(
      fc.asyncProperty(fc.array(textFrame, { maxLength: 24 }), fc.option(closingFrame), async (frames, closer) => {
        rounds++
        await round(frames, closer)
      }),
      { seed: SEED, numRuns: 2000, interruptAfterTimeLimit: TIME_LIMIT_MS, endOnFailure: true, markInterruptAsFailure: false }
    )
    // one message over the limit: closed with 1009, nothing else happens
    const big = await server.connect()
    big.send(Buffer.alloc(MAX_WIRE_MESSAGE_BYTES + 1, 0x20))
    expect(await big.record.closed).toBe(1009)

    expect(server.child.exitCode).toBeNull()
    expect(watcher.messages.filter((m) => m.kind === 'host-status' && ['crashed', 'failed'].includes(m.status.state)).map((m) => m.status)).toEqual([])
    const ws = await server.connect()
    ws.send(JSON.stringify({ kind: 'request', id: 1, method: 'engine.info', params: {} }))
    expect((await until('engine.info', () => ws.record.messages.find((m) => m.kind === 'response'))).ok).toBe(true)
    const pid = ws.record.messages.find((m) => m.kind === 'host-status').status.pid
    expect(pid).toBe(enginePid)
    console.log(`fuzz: ${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${SEED}`)
  }, 120_000)
})
