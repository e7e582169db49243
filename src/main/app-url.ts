import { realpathSync, statSync } from 'node:fs'
import { extname, join, sep } from 'node:path'

/**
 * The studio's pages are served from this origin by main's protocol handler (registered as
 * privileged: standard, secure), never over file://: a file:// page could read any local file
 * its path reaches, and every file:// URL shares one origin. Electron-free, so it is tested as is.
 */
export const APP_SCHEME = 'eqm-app'
export const APP_HOST = 'studio'
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

/**
 * True only for a URL of the app's own origin: eqm-app://studio, or in development exactly the
 * dev server's origin (scheme, host and port). Prefix or suffix matches would also accept
 * file:///tmp/evil/<app path>, file://evilhost/... or http://localhost:5173.evil.example/.
 */
export function isAppUrl(url: string, devServerUrl: string | null): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.username || parsed.password) return false
  if (devServerUrl) {
    const dev = new URL(devServerUrl)
    return parsed.protocol === dev.protocol && parsed.hostname === dev.hostname && parsed.port === dev.port
  }
  // WHATWG URL gives non-special schemes the origin "null", so compare the parts themselves
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm'
}

/**
 * The file an app URL names inside the renderer's folder, or null (404): the decoded path must
 * resolve, links included, to a regular file inside that folder. Other origins get null too.
 */
export function resolveAppFile(rendererFolder: string, url: string): { path: string; contentType: string } | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null
  let relative: string
  try {
    relative = decodeURIComponent(parsed.pathname)
  } catch {
    return null
  }
  if (relative.includes('\0') || relative.split(/[\\/]/).includes('..')) return null
  if (relative === '/' || relative === '') relative = '/index.html'
  try {
    const root = realpathSync(rendererFolder)
    const real = realpathSync(join(root, relative))
    if (!real.startsWith(root + sep) || !statSync(real).isFile()) return null
    return { path: real, contentType: CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream' }
  } catch {
    return null
  }
}
