import { useEffect, useState } from 'react'
import { base64ToBytes } from '../../../shared/base64'
import type { EngineClient } from '../host/engine-client'

/** Blob URLs kept in the desktop window at once; older ones are released. */
const DESKTOP_URLS_KEPT = 600

/**
 * The user-data image store as the studio reads it. Browser mode: a URL on the same
 * token-protected server (the browser caches and loads lazily); desktop: the bytes through the
 * engine, as blob URLs (a bounded number live at once).
 */
export interface StoredImages {
  /** a URL now, where one exists without a round trip (browser mode); else null */
  urlNow(ref: string): string | null
  url(ref: string): Promise<string>
  bytes(ref: string): Promise<Uint8Array>
}

export function createStoredImages(client: EngineClient, token: string | null): StoredImages {
  const blobUrls = new Map<string, Promise<string>>()
  const bytes = async (ref: string) => base64ToBytes((await client.call('store.get', { ref })).data)
  return {
    urlNow: (ref) => (token === null ? null : `/store/${ref}?token=${encodeURIComponent(token)}`),
    url(ref) {
      if (token !== null) return Promise.resolve(`/store/${ref}?token=${encodeURIComponent(token)}`)
      let url = blobUrls.get(ref)
      if (!url) {
        url = bytes(ref).then((data) => URL.createObjectURL(new Blob([data as BlobPart], { type: 'image/png' })))
        url.catch(() => blobUrls.delete(ref))
        blobUrls.set(ref, url)
        if (blobUrls.size > DESKTOP_URLS_KEPT) {
          const [oldest, released] = blobUrls.entries().next().value!
          blobUrls.delete(oldest)
          void released.then(URL.revokeObjectURL, () => undefined)
        }
      }
      return url
    },
    bytes
  }
}

/** A stored image's URL for an <img>: at once in browser mode, after one engine call on the desktop. */
export function useStoredImageUrl(images: StoredImages, ref: string): string | undefined {
  const [url, setUrl] = useState<string | undefined>(() => images.urlNow(ref) ?? undefined)
  useEffect(() => {
    const now = images.urlNow(ref)
    if (now) return setUrl(now)
    let live = true
    images.url(ref).then((resolved) => live && setUrl(resolved), () => live && setUrl(undefined))
    return () => {
      live = false
    }
  }, [images, ref])
  return url
}
