import { protocol, session } from 'electron'
import { readFile } from 'node:fs/promises'
import { APP_SCHEME, resolveAppFile } from './app-url'
import { desktopCsp, devCsp } from './content-security-policy'

/** Before app ready: the app scheme behaves like https (its own origin, secure context, fetch). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }])
}

/**
 * After app ready: serves the renderer folder (only it) on the app scheme with the desktop CSP;
 * in development adds the dev CSP to the dev server's responses instead.
 */
export function serveApp(rendererFolder: string, devServerUrl: string | null): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = request.method === 'GET' ? resolveAppFile(rendererFolder, request.url) : null
    if (!file) return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } })
    return new Response(await readFile(file.path), {
      headers: { 'content-type': file.contentType, 'content-security-policy': desktopCsp(), 'x-content-type-options': 'nosniff' }
    })
  })
  if (devServerUrl) {
    const policy = devCsp(devServerUrl)
    session.defaultSession.webRequest.onHeadersReceived({ urls: [`${new URL(devServerUrl).origin}/*`] }, (details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } })
    })
  }
}
