/**
 * The desktop window's Content-Security-Policy, sent as a header with every page the app
 * protocol serves (and, in development, added to the dev server's responses).
 *
 * Desktop: the engine is reached through a MessagePort, so no network connection at all; styles
 * come from the bundled stylesheet only (React and Konva set styles through the CSSOM, which
 * style-src does not govern; e2e/desktop-csp.spec.ts loads the built studio under this policy
 * and fails on any violation). Development: Vite's dev server injects styles and talks to its
 * page over a WebSocket for hot reload, so that mode allows exactly those.
 */
const COMMON = ["default-src 'self'", "script-src 'self'", "img-src 'self' data: blob:", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"]

export function desktopCsp(): string {
  return [...COMMON, "style-src 'self'", "connect-src 'self'"].join('; ')
}

export function devCsp(devServerUrl: string): string {
  const dev = new URL(devServerUrl)
  const socket = `${dev.protocol === 'https:' ? 'wss' : 'ws'}://${dev.host}`
  return [...COMMON, "style-src 'self' 'unsafe-inline'", `connect-src 'self' ${socket}`].join('; ')
}
