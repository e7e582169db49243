import { useCallback, useEffect, useRef, useState } from 'react'

/** Where content sits on the stage: scale and offset. Pure maths, shared by every canvas view. */
export interface View {
  scale: number
  x: number
  y: number
}

export interface Size {
  width: number
  height: number
}

/** Largest zoom that fits with a margin; whole-number zooms above 1 keep pixels square and crisp. */
export function fitView(content: Size, area: Size, margin = 0.92): View {
  const fit = Math.min((area.width * margin) / content.width, (area.height * margin) / content.height)
  const scale = fit >= 1 ? Math.floor(fit) : fit
  return { scale, x: (area.width - content.width * scale) / 2, y: (area.height - content.height * scale) / 2 }
}

/** Zoom by `factor` keeping the content point under `pointer` where it is. */
export function zoomAt(view: View, pointer: { x: number; y: number }, factor: number, limits = { min: 0.25, max: 64 }): View {
  const scale = Math.min(limits.max, Math.max(limits.min, view.scale * factor))
  const contentX = (pointer.x - view.x) / view.scale
  const contentY = (pointer.y - view.y) / view.scale
  return { scale, x: pointer.x - contentX * scale, y: pointer.y - contentY * scale }
}

export function stageToContent(view: View, point: { x: number; y: number }): { x: number; y: number } {
  return { x: (point.x - view.x) / view.scale, y: (point.y - view.y) / view.scale }
}

/** The stage's size, following its container. */
export function useContainerSize(): [React.RefObject<HTMLDivElement | null>, Size] {
  const ref = useRef<HTMLDivElement>(null)
  const [size, setSize] = useState<Size>({ width: 800, height: 600 })
  useEffect(() => {
    const element = ref.current
    if (!element) return
    const observer = new ResizeObserver(([entry]) => setSize({ width: Math.max(1, entry.contentRect.width), height: Math.max(1, entry.contentRect.height) }))
    observer.observe(element)
    return () => observer.disconnect()
  }, [])
  return [ref, size]
}

/**
 * Zoom (wheel, around the pointer), pan (middle or right drag, or Space + drag) and fit
 * (re-fits when the content or the area changes size, on demand, and when fitRequest changes:
 * the F shortcut).
 */
export function useViewport(content: Size | null, area: Size, fitRequest = 0) {
  const [view, setView] = useState<View>({ scale: 1, x: 0, y: 0 })
  const pan = useRef<{ x: number; y: number; view: View } | null>(null)
  const spaceDown = useRef(false)
  const contentKey = content ? `${content.width}x${content.height}` : ''

  const fit = useCallback(() => {
    if (content) setView(fitView(content, area))
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [contentKey, area.width, area.height, fitRequest])
  useEffect(fit, [fit])

  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (e.code === 'Space' && !(e.target instanceof HTMLInputElement)) spaceDown.current = true
    }
    const up = (e: KeyboardEvent) => {
      if (e.code === 'Space') spaceDown.current = false
    }
    window.addEventListener('keydown', down)
    window.addEventListener('keyup', up)
    return () => {
      window.removeEventListener('keydown', down)
      window.removeEventListener('keyup', up)
    }
  }, [])

  const onWheel = (event: WheelEvent, pointer: { x: number; y: number }) => {
    event.preventDefault()
    setView((v) => zoomAt(v, pointer, event.deltaY < 0 ? 1.15 : 1 / 1.15))
  }
  /** returns true when the press starts a pan (the tool should ignore it) */
  const onPointerDown = (event: MouseEvent, pointer: { x: number; y: number }): boolean => {
    if (event.button === 1 || event.button === 2 || spaceDown.current) {
      pan.current = { x: pointer.x, y: pointer.y, view }
      return true
    }
    return false
  }
  const onPointerMove = (pointer: { x: number; y: number }): boolean => {
    const start = pan.current
    if (!start) return false
    setView({ ...start.view, x: start.view.x + pointer.x - start.x, y: start.view.y + pointer.y - start.y })
    return true
  }
  const onPointerUp = (): boolean => {
    const panning = pan.current !== null
    pan.current = null
    return panning
  }
  return { view, fit, onWheel, onPointerDown, onPointerMove, onPointerUp }
}
