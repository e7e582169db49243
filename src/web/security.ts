import { timingSafeEqual, randomBytes } from 'node:crypto'

/** A per-launch secret: the browser-mode URL carries it, the WebSocket demands it. */
export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

export function tokensEqual(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Only our own loopback names: a DNS-rebinding page arrives with its own host name and is refused. */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`
}

export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}` || origin === `http://[::1]:${port}`
}

/**
 * Browser mode's policy: the desktop window's (no inline styles: e2e/desktop-csp.spec.ts runs
 * the whole studio without them), with its one socket to this same server, which 'self'
 * covers (CSP Level 3 matches ws: on the page's own host and port).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'"
].join('; ')
