import { useEffect, useRef } from 'react'

/**
 * While `active`, Esc calls `close` and goes no further: the listener captures on the window, so
 * the studio's own Esc (cancel the running job, else discard the pending result; shortcuts.ts)
 * does not also act. For the panels and overlays that open over the studio.
 */
export function useEscapeCloses(active: boolean, close: () => void): void {
  // the newest close, without re-subscribing on every render
  const latest = useRef(close)
  latest.current = close
  useEffect(() => {
    if (!active) return
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return
      event.stopPropagation()
      latest.current()
    }
    window.addEventListener('keydown', onKey, true)
    return () => window.removeEventListener('keydown', onKey, true)
  }, [active])
}
