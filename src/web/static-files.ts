import type { ServerResponse } from 'node:http'
import { open, realpath } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'
import { CONTENT_SECURITY_POLICY } from './security'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2'
}

/** Where a request path leads inside the served folder, decided on the decoded, resolved real path. */
export type StaticTarget = { status: 200; file: string; isIndex: boolean } | { status: 400 | 404; text: string }

/**
 * The renderer folder, served read-only. The request path is decoded once (a bad escape is
 * 400), resolved against the folder, and then resolved through symlinks: only a regular file
 * whose real path lies inside the folder's real path is served, so neither `..`, an encoded
 * name (`/%69ndex.html` is index.html, and needs the token like it) nor a link out gets out.
 */
export class StaticFolder {
  private root: Promise<string>

  constructor(folder: string) {
    this.root = realpath(folder)
    // a missing folder fails each request (500), not the process
    this.root.catch(() => undefined)
  }

  async locate(rawPath: string): Promise<StaticTarget> {
    let decoded: string
    try {
      decoded = decodeURIComponent(rawPath)
    } catch {
      return { status: 400, text: 'bad request: the path has an invalid %-escape' }
    }
    if (decoded.includes('\0')) return { status: 400, text: 'bad request: the path contains a NUL byte' }
    const root = await this.root
    const relative = decoded.replace(/^[/\\]+/, '') || 'index.html'
    const candidate = resolve(root, relative)
    if (!isInside(candidate, root)) return { status: 404, text: 'not found' }
    let real: string
    try {
      real = await realpath(candidate)
    } catch {
      return { status: 404, text: 'not found' }
    }
    if (!isInside(real, root)) return { status: 404, text: 'not found' }
    return { status: 200, file: real, isIndex: real === join(root, 'index.html') }
  }

  /** Sends a located file; the handle is opened once and checked to be a regular file. */
  async send(res: ServerResponse, file: string, noStore: boolean, headOnly: boolean): Promise<boolean> {
    let handle
    try {
      handle = await open(file, 'r')
    } catch {
      return false
    }
    try {
      if (!(await handle.stat()).isFile()) return false
      const body = await handle.readFile()
      res.writeHead(200, {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': noStore ? 'no-store' : 'no-cache'
      })
      res.end(headOnly ? undefined : body)
      return true
    } finally {
      await handle.close()
    }
  }
}

function isInside(path: string, root: string): boolean {
  return path.startsWith(root.endsWith(sep) ? root : root + sep)
}
