import { test, expect } from '@playwright/test'
import WebSocket from 'ws'
import { startServer, type RunningServer } from './support/web-server'
import { e2eModelRoot } from './support/fixtures'

let server: RunningServer
test.beforeAll(async () => {
  server = await startServer([e2eModelRoot()])
})
test.afterAll(async () => server.stop())

function tryWebSocket(url: string, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers })
    ws.on('open', () => {
      ws.close()
      resolve('open')
    })
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('error', () => resolve(0))
  })
}

test('browser mode listens on loopback only and demands the token', async ({ request }) => {
  const { origin } = server
  const token = new URL(server.url).searchParams.get('token')!
  expect(new URL(server.url).hostname).toBe('127.0.0.1')
  expect((await request.get(`${origin}/`)).status()).toBe(401)
  expect((await request.get(`${origin}/?token=wrong`)).status()).toBe(401)
  const page = await request.get(server.url)
  expect(page.status()).toBe(200)
  expect(page.headers()['content-security-policy']).toContain("default-src 'self'")
  // DNS rebinding: our port under a foreign host name
  expect((await request.get(server.url, { headers: { Host: 'evil.example' } })).status()).toBe(403)
  const port = new URL(origin).port
  const ws = `ws://127.0.0.1:${port}/ws`
  expect(await tryWebSocket(`${ws}?token=${token}`, { Origin: origin })).toBe('open')
  expect(await tryWebSocket(`${ws}?token=nope`, { Origin: origin })).toBe(401)
  expect(await tryWebSocket(`${ws}?token=${token}`, { Origin: 'http://evil.example' })).toBe(401)
  expect(await tryWebSocket(`${ws}?token=${token}`, {})).toBe(401)
})
