import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import NodeWebSocket from 'ws'
import { createWebHost } from './web-host'
import type { EngineStatus } from '../../../shared/engine-status'
import { FIXTURE_MODELS } from '../../../../test/support/paths'
import { startServerProcess, until, type ServerProcess } from '../../../../test/support/web-server'

/**
 * The page's side of browser mode against the real server process: what it says and does when
 * its socket drops, when the server stops and comes back with the same token, and when a
 * server on that port refuses the token. Node has no browser WebSocket or location: ws (with
 * the page's Origin) and a location object stand in for them; fetch is Node's own.
 */
const sockets: NodeWebSocket[] = []
const nodeFetch = globalThis.fetch
let dir = ''
let servers: ServerProcess[] = []

function usePage(port: number): void {
  globalThis.location = { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` } as Location
  class PageWebSocket extends NodeWebSocket {
    constructor(url: string) {
      super(url, { headers: { Origin: `http://127.0.0.1:${port}` } })
      this.on('error', () => undefined)
      sockets.push(this)
    }
  }
  globalThis.WebSocket = PageWebSocket as unknown as typeof WebSocket
  // the page's fetch is relative to its own address
  globalThis.fetch = ((input: string, init?: RequestInit) => nodeFetch(`http://127.0.0.1:${port}${input}`, init)) as typeof fetch
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'eqm-web-host-'))
  mkdirSync(join(dir, 'renderer'))
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html>')
})
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate()
  for (const s of servers.splice(0)) await s.stop()
})

async function start(options: { token?: string; port?: number } = {}): Promise<ServerProcess> {
  const server = await startServerProcess({ renderer: join(dir, 'renderer'), userData: join(dir, 'user'), models: [FIXTURE_MODELS], ...options })
  servers.push(server)
  return server
}

// a host cannot be disposed: the test whose host would keep probing afterwards runs last
describe('web host (the page) against the real browser-mode server', () => {
  it('a restarted server with the same token is reconnected; one with another token is reported, and probing stops', async () => {
    const token = 'A'.repeat(32)
    const first = await start({ token })
    usePage(first.port)
    const host = createWebHost(token)
    const statuses: EngineStatus[] = []
    let connections = 0
    host.onStatus((s) => statuses.push(s))
    host.onConnection(() => connections++)
    await until('first connection', () => connections === 1)

    await first.stop()
    await until('disconnected', () => statuses.some((s) => s.state === 'disconnected'))
    await start({ token, port: first.port })
    await until('reconnected after the restart', () => connections === 2, 30_000)

    await servers[1].stop()
    const third = await start({ token: 'B'.repeat(32), port: first.port })
    const refused = await until('token refused', () => statuses.find((s) => s.tokenRefused), 30_000)
    expect(refused.reason).toMatch(/new address it printed in its terminal/)
    const opened = sockets.length
    await new Promise((r) => setTimeout(r, 6000))
    expect(sockets.length).toBe(opened)
    expect(connections).toBe(2)
    expect(third.child.exitCode).toBeNull()
  })

  it('a dropped socket: says the server is gone, then reconnects by itself to a server that kept running', async () => {
    const server = await start()
    usePage(server.port)
    const host = createWebHost(server.token)
    const statuses: EngineStatus[] = []
    let connections = 0
    host.onStatus((s) => statuses.push(s))
    host.onConnection(() => connections++)
    await until('first connection', () => connections === 1)

    sockets[0].terminate()
    await until('disconnected', () => statuses.some((s) => s.state === 'disconnected'))
    await until('a second connection', () => connections === 2)
    expect(statuses[statuses.length - 1].state).toBe('ready')
  })
})
