import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type WebSocket from 'ws'
import { FIXTURE_MODELS } from './support/paths'
import { startServerProcess, until, type ServerProcess, type SocketRecord } from './support/web-server'
import { MAX_JSON_DEPTH, MAX_WIRE_MESSAGE_BYTES } from '../src/shared/wire-limits'

/**
 * Issue 9 item 1: no client message stops the browser-mode server or its engine. Each probe
 * sends one bad frame, then checks the server still answers and the engine never crashed.
 */
let dir: string
let server: ServerProcess
let watcher: SocketRecord

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eqm-crash-'))
  mkdirSync(join(dir, 'renderer'))
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>t</title>')
  server = await startServerProcess({ renderer: join(dir, 'renderer'), userData: join(dir, 'user'), models: [FIXTURE_MODELS] })
  watcher = (await server.connect()).record
  await until('engine ready', () => watcher.messages.find((m) => m.kind === 'host-status' && m.status.state === 'ready'))
})
afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function stillServing(): Promise<void> {
  expect(server.child.exitCode).toBeNull()
  const ws = await server.connect()
  const socket = ws.record
  ws.send(JSON.stringify({ kind: 'request', id: 7, method: 'engine.info', params: {} }))
  const reply = await until('engine.info reply', () => socket.messages.find((m) => m.kind === 'response' && m.id === 7), 15_000)
  expect(reply.ok).toBe(true)
  ws.close()
  expect(watcher.messages.filter((m) => m.kind === 'host-status' && ['crashed', 'failed'].includes(m.status.state))).toEqual([])
}

async function fresh(): Promise<{ ws: WebSocket; socket: SocketRecord }> {
  const ws = await server.connect()
  return { ws, socket: ws.record }
}

describe('browser-mode server against bad frames (real server and engine processes)', () => {
  it('closes an over-size message with 1009 and keeps running', async () => {
    const { ws, socket } = await fresh()
    ws.send('x'.repeat(MAX_WIRE_MESSAGE_BYTES + 1))
    expect(await socket.closed).toBe(1009)
    await stillServing()
  })

  it('closes a text frame of invalid UTF-8 with 1007 and keeps running', async () => {
    const { ws, socket } = await fresh()
    ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]), { binary: false })
    expect(await socket.closed).toBe(1007)
    await stillServing()
  })

  it('closes a binary frame with 1003 (the contract is JSON text)', async () => {
    const { ws, socket } = await fresh()
    ws.send(Buffer.from('{"kind":"request"}'), { binary: true })
    expect(await socket.closed).toBe(1003)
    await stillServing()
  })

  it('answers malformed JSON with an error reply', async () => {
    const { ws, socket } = await fresh()
    ws.send('{"kind":"request","id":3,')
    const reply = await until('an error reply', () => socket.messages.find((m) => m.kind === 'response'), 10_000)
    expect(reply).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    expect(reply.error.message).toMatch(/JSON/)
    ws.close()
    await stillServing()
  })

  it('refuses a session.save nested 5000 deep with an error naming the limit', async () => {
    const { ws, socket } = await fresh()
    const data = '['.repeat(5000) + ']'.repeat(5000)
    ws.send(`{"kind":"request","id":11,"method":"session.save","params":{"data":${data}}}`)
    const reply = await until('the reply to id 11', () => socket.messages.find((m) => m.kind === 'response' && m.id === 11), 10_000)
    expect(reply.ok).toBe(false)
    expect(reply.error.message).toContain(`more than ${MAX_JSON_DEPTH} levels`)
    ws.close()
    await stillServing()
  })

  it('answers a request that is not an object, and an unknown method, with errors', async () => {
    const { ws, socket } = await fresh()
    ws.send('null')
    ws.send('42')
    ws.send(JSON.stringify({ kind: 'request', id: 5, method: 'nope', params: {} }))
    await until('three replies', () => socket.messages.filter((m) => m.kind === 'response').length >= 3, 10_000)
    expect(socket.messages.find((m) => m.id === 5).error.code).toBe('unknown-method')
    ws.close()
    await stillServing()
  })
})
