import { CONTENT_SECURITY_POLICY as WEB_CSP } from '../src/web/security'
import { describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Ajv from 'ajv'
import { APP_ENTRY_URL, isAppUrl, resolveAppFile } from '../src/main/app-url'
import { desktopCsp, devCsp } from '../src/main/content-security-policy'
import { isProjectLink } from '../src/main/external-links'
import { hashModelFolders } from '../src/engine/model-files'
import { ROOT, SHIPPED_MODELS } from './support/paths'

// The desktop build's security settings, checked without an Electron binary: the packaged
// app's fuses, the app origin and its file serving, the CSP per mode, external links.
const config = JSON.parse(readFileSync(join(ROOT, 'electron-builder.json'), 'utf8'))

describe('electron-builder config', () => {
  it('sets the fuses: no run-as-node, NODE_OPTIONS or --inspect; asar integrity and asar-only; encrypted cookies; no file:// extra privileges', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false
    })
  })

  it("is valid against the installed electron-builder's own schema", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'node_modules/app-builder-lib/scheme.json'), 'utf8'))
    const ajv = new Ajv({ allErrors: true, strict: false })
    const validate = ajv.compile(schema)
    const { $schema: _, ...body } = config
    expect(validate(body), ajv.errorsText(validate.errors)).toBe(true)
  })

  it('unpacks the native modules (onnxruntime-node, sharp) from the asar', () => {
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['node_modules/onnxruntime-node/**', 'node_modules/sharp/**', 'node_modules/@img/**']))
  })
})

describe('the app origin', () => {
  const appFile = join(ROOT, 'out', 'renderer', 'index.html')

  it.each([
    `file:///tmp/evil${appFile}`,
    `file://${appFile}`,
    'file://evilhost/out/renderer/index.html',
    'http://localhost:5173.evil.example/',
    'eqm-app://studio.evil.example/index.html',
    'eqm-app://evil/index.html',
    'eqm-app://user:pass@studio/index.html',
    'https://studio/index.html',
    'not a url'
  ])('refuses %s', (url) => {
    expect(isAppUrl(url, null)).toBe(false)
  })

  it("accepts the app's own pages, and in development exactly the dev server's origin", () => {
    expect(APP_ENTRY_URL).toBe('eqm-app://studio/index.html')
    expect(isAppUrl(APP_ENTRY_URL, null)).toBe(true)
    expect(isAppUrl('eqm-app://studio/assets/index.js#x', null)).toBe(true)
    const dev = 'http://localhost:5173'
    expect(isAppUrl('http://localhost:5173/', dev)).toBe(true)
    expect(isAppUrl('http://localhost:5173.evil.example/', dev)).toBe(false)
    expect(isAppUrl('http://localhost:51730/', dev)).toBe(false)
    expect(isAppUrl('https://localhost:5173/', dev)).toBe(false)
    expect(isAppUrl(APP_ENTRY_URL, dev)).toBe(false)
  })

  it('serves only regular files inside the renderer folder', () => {
    const base = mkdtempSync(join(tmpdir(), 'eqm-app-files-'))
    const folder = join(base, 'renderer')
    mkdirSync(join(folder, 'assets'), { recursive: true })
    writeFileSync(join(folder, 'index.html'), '<!doctype html>')
    writeFileSync(join(folder, 'assets', 'index.js'), '')
    writeFileSync(join(base, 'secret.txt'), 'not for the page')
    symlinkSync(join(base, 'secret.txt'), join(folder, 'link.txt'))
    expect(resolveAppFile(folder, 'eqm-app://studio/')).toMatchObject({ path: join(folder, 'index.html'), contentType: 'text/html; charset=utf-8' })
    expect(resolveAppFile(folder, 'eqm-app://studio/assets/index.js')).toMatchObject({ contentType: 'text/javascript; charset=utf-8' })
    for (const url of [
      'eqm-app://studio/../secret.txt',
      'eqm-app://studio/%2e%2e/secret.txt',
      'eqm-app://studio/assets/..%2f..%2fsecret.txt',
      'eqm-app://studio/link.txt',
      'eqm-app://studio/assets',
      'eqm-app://studio/%',
      'eqm-app://other/index.html',
      `file://${join(folder, 'index.html')}`
    ]) {
      expect(resolveAppFile(folder, url), url).toBeNull()
    }
  })
})

describe('Content-Security-Policy per mode', () => {
  it('desktop: nothing but the app itself; no WebSocket, no inline styles or scripts', () => {
    const policy = desktopCsp()
    expect(policy).toContain("connect-src 'self'")
    expect(policy).toContain("style-src 'self'")
    expect(policy).toContain("script-src 'self'")
    expect(policy).not.toMatch(/ws:|wss:|unsafe-inline|unsafe-eval|\*/)
  })

  it("development: the dev server's hot-reload socket and injected styles, nothing wider", () => {
    const policy = devCsp('http://localhost:5173')
    expect(policy).toContain("connect-src 'self' ws://localhost:5173")
    expect(policy).toContain("style-src 'self' 'unsafe-inline'")
    expect(policy).not.toMatch(/ws:\/\/127\.0\.0\.1:\*|\*|unsafe-eval/)
  })

  it('browser mode: its own server only (the socket is same-origin), no inline styles or scripts', () => {
    expect(WEB_CSP).toContain("connect-src 'self'")
    expect(WEB_CSP).toContain("style-src 'self'")
    expect(WEB_CSP).not.toMatch(/ws:|wss:|unsafe-inline|unsafe-eval|\*/)
  })

  it('the page carries no policy of its own (each mode sends its header)', () => {
    expect(readFileSync(join(ROOT, 'src/renderer/index.html'), 'utf8')).not.toMatch(/Content-Security-Policy/i)
  })
})

describe('links opened in the browser', () => {
  it('only exact project links, https, without credentials', () => {
    expect(isProjectLink('https://example.com/')).toBe(false)
    const allowed = ['https://docs.example.org/eqm-studio/guide']
    expect(isProjectLink('https://docs.example.org/eqm-studio/guide', allowed)).toBe(true)
    expect(isProjectLink('https://docs.example.org/eqm-studio/guide/../../elsewhere', allowed)).toBe(false)
    expect(isProjectLink('http://docs.example.org/eqm-studio/guide', allowed)).toBe(false)
    expect(isProjectLink('https://user@docs.example.org/eqm-studio/guide', allowed)).toBe(false)
  })
})

describe('shipped model hashes', () => {
  it('are fixed into the built main-process code, matching models/ now', () => {
    const chunks = join(ROOT, 'out', 'main', 'chunks')
    expect(existsSync(chunks), 'npm run build first (npm test does)').toBe(true)
    const built = readdirSync(chunks).map((f) => readFileSync(join(chunks, f), 'utf8')).join('\n')
    const hashes = hashModelFolders(SHIPPED_MODELS)
    expect(Object.keys(hashes).length).toBeGreaterThan(0)
    for (const [file, hash] of Object.entries(hashes)) expect(built).toContain(`"${file}": "${hash}"`)
    // not beside the models, where they could be edited together
    expect(readdirSync(join(SHIPPED_MODELS, 'fashion-mnist')).some((f) => /hash|sha|sum/i.test(f))).toBe(false)
  })
})
