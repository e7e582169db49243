import { useRef, useState } from 'react'
import type { Stroke } from '../repair/mask'

export interface BrushSettings {
  mode: 'brush' | 'eraser'
  /** diameter in content pixels */
  size: number
  /** 0..1: how much the brush paints (its opacity) */
  opacity: number
  /** 0..1: share of the radius that fades out */
  softness: number
}

/**
 * A brush on a canvas: a stroke grows while the primary button is held and is handed over
 * when released; the cursor follows the pointer (for the brush outline). Its `pointer` plugs
 * into CanvasStage.
 */
export function useBrush(settings: BrushSettings, enabled: boolean, onStroke: (stroke: Stroke) => void) {
  const current = useRef<Stroke | null>(null)
  const [drawing, setDrawing] = useState<Stroke | null>(null)
  const [cursor, setCursor] = useState<{ x: number; y: number } | null>(null)
  const show = (stroke: Stroke | null) => {
    current.current = stroke
    setDrawing(stroke)
  }
  return {
    drawing,
    cursor,
    pointer: {
      down: (p: { x: number; y: number }) => {
        if (enabled) show({ points: [[p.x, p.y]], size: settings.size, opacity: settings.opacity, softness: settings.softness, erase: settings.mode === 'eraser' })
      },
      move: (p: { x: number; y: number }) => {
        setCursor(p)
        const stroke = current.current
        if (stroke) show({ ...stroke, points: [...stroke.points, [p.x, p.y]] })
      },
      up: () => {
        const stroke = current.current
        show(null)
        if (stroke) onStroke(stroke)
      },
      leave: () => setCursor(null)
    }
  }
}
