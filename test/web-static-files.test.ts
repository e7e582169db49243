import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServerProcess, type ServerProcess } from './support/web-server'

/** Issue 9 item 2: the static files of browser mode, probed over raw HTTP (paths sent byte for byte). */
let dir: string
let server: ServerProcess

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eqm-static-'))
  const renderer = join(dir, 'renderer')
  mkdirSync(join(renderer, 'assets'), { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>studio</title>')
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir, 'secret.txt'), 'outside the served folder')
  symlinkSync('/', join(renderer, 'root'))
  symlinkSync(join(dir, 'secret.txt'), join(renderer, 'assets', 'secret.js'))
  symlinkSync(join(renderer, 'index.html'), join(renderer, 'assets', 'page.js'))
  server = await startServerProcess({ renderer, userData: join(dir, 'user'), models: [] })
})
afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { Host: `127.0.0.1:${server.port}` } }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('browser-mode static files (real server process)', () => {
  it('serves the page with the token and assets without it', async () => {
    expect((await get(`/?token=${server.token}`)).body).toContain('studio')
    expect((await get('/assets/app.js')).status).toBe(200)
    expect((await get('/')).status).toBe(401)
  })

  it('asks for the token however index.html is spelled', async () => {
    for (const path of ['/%69ndex.html', '/index%2Ehtml', '//index.html', '/assets/../index.html', '/assets/%2e%2e/index.html', '/./index.html']) {
      const response = await get(path)
      expect(response.status, path).toBe(401)
      expect(response.body, path).not.toContain('studio')
    }
    expect((await get(`/%69ndex.html?token=${server.token}`)).status).toBe(200)
  })

  it('never follows a link out of the folder', async () => {
    for (const path of ['/root/proc/self/environ', '/root/etc/passwd', '/assets/secret.js']) {
      const response = await get(path)
      expect(response.status, path).toBe(404)
      expect(response.body, path).not.toContain('outside')
    }
  })

  it('treats a link to the page inside the folder as the page (token needed)', async () => {
    expect((await get('/assets/page.js')).status).toBe(401)
  })

  it('answers bad escapes and NUL bytes with 400, traversal with 404', async () => {
    expect((await get('/%')).status).toBe(400)
    expect((await get('/%E0%A4%A')).status).toBe(400)
    expect((await get('/assets/%00.js')).status).toBe(400)
    expect((await get('/../../etc/passwd')).status).toBe(404)
    expect((await get('/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404)
    expect(server.child.exitCode).toBeNull()
  })
})
