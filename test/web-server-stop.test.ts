import { afterAll, expect, it } from 'vitest'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FIXTURE_MODELS } from './support/paths'
import { startServerProcess } from './support/web-server'

/**
 * Stopping browser mode (Ctrl+C, SIGTERM) ends the process even while a client is in the middle
 * of a request: a connection that sent half its headers kept server.close() waiting for Node's
 * 60-second header timeout (an e2e run hung on its server's stop that way).
 */
const dir = mkdtempSync(join(tmpdir(), 'eqm-stop-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('a SIGTERM ends the server within seconds, with a request half sent', async () => {
  mkdirSync(join(dir, 'renderer'))
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>t</title>')
  const server = await startServerProcess({ renderer: join(dir, 'renderer'), userData: join(dir, 'user'), models: [FIXTURE_MODELS] })
  const stalled = connect(server.port, '127.0.0.1')
  await new Promise<void>((resolve) => stalled.once('connect', () => resolve()))
  stalled.on('error', () => undefined)
  stalled.write(`GET /?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`) // no blank line: headers never end
  await new Promise((r) => setTimeout(r, 200))
  const started = Date.now()
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)))
  server.child.kill('SIGTERM')
  const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))])
  if (code === 'hung') server.child.kill('SIGKILL')
  stalled.destroy()
  expect(code).toBe(0)
  expect(Date.now() - started).toBeLessThan(10_000)
}, 40_000)
