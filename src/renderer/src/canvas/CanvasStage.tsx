import type { ReactNode } from 'react'
import { Stage, Layer, Text } from 'react-konva'
import type Konva from 'konva'
import { useStudio } from '../store/context'
import { stageToContent, useContainerSize, useViewport, type Size, type View } from './viewport'
import { CanvasToolbar } from './CanvasToolbar'

type Point = { x: number; y: number }

/** What a tool does with the primary button on the content (in content pixels); pan and zoom are the stage's. */
export interface ContentPointer {
  down?(point: Point, event: MouseEvent): void
  move?(point: Point): void
  up?(): void
  leave?(): void
}

/**
 * The one stage every canvas view uses: it follows its container, zooms with the wheel around
 * the pointer, pans with middle/right drag or Space+drag, fits on demand (the Fit button, F)
 * and hands primary-button presses to the tool in content coordinates. Layers are the tool's.
 */
export function CanvasStage(props: {
  content: Size | null
  emptyHint?: string
  pointer?: ContentPointer
  cursor?: string
  toolbar?: ReactNode
  children(view: View): ReactNode
}) {
  const [container, size] = useContainerSize()
  const fitRequest = useStudio((s) => s.fitRequest)
  const viewport = useViewport(props.content, size, fitRequest)
  const { view } = viewport
  const stagePoint = (e: Konva.KonvaEventObject<Event>) => e.target.getStage()?.getPointerPosition() ?? { x: 0, y: 0 }
  return (
    <div className="canvas-stage" ref={container} data-view={`${view.scale},${view.x},${view.y}`} onContextMenu={(e) => e.preventDefault()}>
      <Stage
        width={size.width}
        height={size.height}
        style={{ cursor: props.cursor ?? 'default' }}
        onWheel={(e) => viewport.onWheel(e.evt, stagePoint(e))}
        onMouseDown={(e) => {
          if (viewport.onPointerDown(e.evt, stagePoint(e)) || e.evt.button !== 0) return
          props.pointer?.down?.(stageToContent(view, stagePoint(e)), e.evt)
        }}
        onMouseMove={(e) => {
          if (viewport.onPointerMove(stagePoint(e))) return
          props.pointer?.move?.(stageToContent(view, stagePoint(e)))
        }}
        onMouseUp={() => {
          if (!viewport.onPointerUp()) props.pointer?.up?.()
        }}
        onMouseLeave={() => {
          viewport.onPointerUp()
          props.pointer?.up?.()
          props.pointer?.leave?.()
        }}
      >
        {props.children(view)}
        {!props.content && props.emptyHint && (
          <Layer listening={false}>
            <Text x={0} y={size.height / 2 - 10} width={size.width} align="center" text={props.emptyHint} fill="#7d8590" fontSize={15} />
          </Layer>
        )}
      </Stage>
      <CanvasToolbar zoom={view.scale} onFit={viewport.fit}>
        {props.toolbar}
      </CanvasToolbar>
    </div>
  )
}

/** A layer in content coordinates: pixels stay square (no smoothing) at every zoom. */
export function ContentLayer(props: { view: View; name: string; visible?: boolean; opacity?: number; children?: ReactNode }) {
  const { view } = props
  return (
    <Layer name={props.name} listening={false} imageSmoothingEnabled={false} x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale} visible={props.visible ?? true} opacity={props.opacity ?? 1}>
      {props.children}
    </Layer>
  )
}
