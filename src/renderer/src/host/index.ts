import type { EqmDesktopApi } from '../../../shared/ipc-contract'
import type { Host } from './connection'
import { createDesktopHost } from './desktop-host'
import { createWebHost } from './web-host'

declare global {
  interface Window {
    eqm?: EqmDesktopApi
  }
}

/** Desktop when preload exposed window.eqm, browser mode when the URL carries a token. */
export function detectHost(): Host | { error: string } {
  if (window.eqm) return createDesktopHost(window.eqm)
  const token = new URLSearchParams(location.search).get('token')
  if (token) return createWebHost(token)
  return { error: 'EqM Studio could not find its engine: open the address printed by `npm run web`, which carries the access token.' }
}
