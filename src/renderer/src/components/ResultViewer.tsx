import { useEffect, useRef, useState } from 'react'
import type { GalleryItem } from '../store/studio-store'
import { useStoredImageUrl, type StoredImages } from '../history/stored-images'
import { useEscapeCloses } from './escape-closes'

const ZOOMS = [1, 2, 4, 8, 12, 16, 24, 32] as const

/** The zoom that fits the image in most of the window, from the ladder. */
function fitZoom(item: GalleryItem): number {
  const room = Math.min(window.innerWidth * 0.85, window.innerHeight * 0.75)
  const fit = room / Math.max(item.width, item.height)
  return [...ZOOMS].reverse().find((z) => z <= fit) ?? 1
}

/**
 * One result at full size over the studio: zoom with the buttons, + / - or the wheel (pixels
 * stay sharp), the scroll bars pan when it is larger than the window, Esc or a click outside closes it.
 */
export function ResultViewer({ images, item, onClose }: { images: StoredImages; item: GalleryItem; onClose: () => void }) {
  const url = useStoredImageUrl(images, item.image)
  const [zoom, setZoom] = useState(() => fitZoom(item))
  const scroller = useRef<HTMLDivElement>(null)
  const step = (direction: 1 | -1) =>
    setZoom((z) => (direction > 0 ? (ZOOMS.find((n) => n > z) ?? z) : ([...ZOOMS].reverse().find((n) => n < z) ?? z)))
  useEscapeCloses(true, onClose)
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === '+' || event.key === '=') step(1)
      else if (event.key === '-') step(-1)
    }
    // the wheel zooms (not the page): a non-passive listener, so the page does not scroll too
    const onWheel = (event: WheelEvent) => {
      event.preventDefault()
      step(event.deltaY < 0 ? 1 : -1)
    }
    const area = scroller.current
    window.addEventListener('keydown', onKey, true)
    area?.addEventListener('wheel', onWheel, { passive: false })
    return () => {
      window.removeEventListener('keydown', onKey, true)
      area?.removeEventListener('wheel', onWheel)
    }
  }, [onClose])
  return (
    <div className="result-viewer" data-testid="result-viewer" role="dialog" aria-label={`${item.title}, full size`} onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="result-viewer-bar">
        <span className="caption">
          {item.title} · seed {String(item.params.seed)} · {item.width}×{item.height}
        </span>
        <button data-testid="viewer-zoom-out" aria-label="Zoom out" onClick={() => step(-1)} disabled={zoom === ZOOMS[0]}>
          −
        </button>
        <span data-testid="viewer-zoom">{zoom * 100}%</span>
        <button data-testid="viewer-zoom-in" aria-label="Zoom in" onClick={() => step(1)} disabled={zoom === ZOOMS[ZOOMS.length - 1]}>
          +
        </button>
        <button data-testid="viewer-fit" onClick={() => setZoom(fitZoom(item))}>
          Fit
        </button>
        <button data-testid="viewer-close" aria-label="Close" onClick={onClose} title="Esc">
          ✕
        </button>
      </div>
      <div className="result-viewer-scroll" ref={scroller} onClick={(e) => e.target === e.currentTarget && onClose()}>
        {/* sized inline: the history's thumbnail rule (84 px) must not apply here */}
        <img src={url} alt={item.title} style={{ width: item.width * zoom, height: item.height * zoom }} data-testid="viewer-image" />
      </div>
    </div>
  )
}
