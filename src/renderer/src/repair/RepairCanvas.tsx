import { useEffect, useMemo, useState } from 'react'
import { Stage, Layer, Image as KonvaImage, Circle, Group, Line, Text } from 'react-konva'
import type Konva from 'konva'
import { useServices, useStudio } from '../store/context'
import { maskToCanvas, modelBytesToCanvas, previewToCanvas } from '../canvas/pixels'
import { stageToContent, useContainerSize, useViewport } from '../canvas/viewport'
import { CanvasToolbar } from '../canvas/CanvasToolbar'
import { rasterizeStrokes, type Stroke } from './mask'
import { bytesToBase64 } from '../../../shared/base64'
import { importPhoto, paintStroke, redoRepair, undoRepair, updateRepair } from './repair-actions'

/**
 * The repair canvas, layer by layer: the working photo (as the model sees it), the noise
 * mask being painted, the before/after comparison of the last repair, and the staging
 * layer where a running repair descends live.
 */
export function RepairCanvas() {
  const { store } = useServices()
  const [container, size] = useContainerSize()
  const repair = useStudio((s) => s.repair)
  const job = useStudio((s) => s.job)
  const { photo, strokes } = repair.history.document
  const [drawing, setDrawing] = useState<Stroke | null>(null)
  const [cursor, setCursor] = useState<{ x: number; y: number } | null>(null)
  const [dragOver, setDragOver] = useState(false)
  useRepairShortcuts()

  const content = photo ? { width: photo.width, height: photo.height } : null
  const viewport = useViewport(content, size)
  const { view } = viewport

  const photoCanvas = useMemo(() => (photo ? modelBytesToCanvas(photo.bytes, photo) : null), [photo])
  const allStrokes = useMemo(() => (drawing ? [...strokes, drawing] : strokes), [strokes, drawing])
  const mask = useMemo(() => (photo ? rasterizeStrokes(allStrokes, photo.width, photo.height) : null), [photo, allStrokes])
  const maskCanvas = useMemo(() => (photo && mask ? maskToCanvas(mask, photo.width, photo.height) : null), [photo, mask])
  const afterCanvas = useMemo(() => (photo && repair.result ? modelBytesToCanvas(repair.result.bytes, photo) : null), [photo, repair.result])
  const staging = job?.kind === 'repair' && job.preview ? previewToCanvas(job.preview) : null

  const pointer = (e: Konva.KonvaEventObject<Event>) => e.target.getStage()?.getPointerPosition() ?? { x: 0, y: 0 }
  const brush = repair.brush
  const startStroke = (e: Konva.KonvaEventObject<MouseEvent>) => {
    if (viewport.onPointerDown(e.evt, pointer(e)) || !photo || job || e.evt.button !== 0) return
    const p = stageToContent(view, pointer(e))
    setDrawing({ points: [[p.x, p.y]], size: brush.size, opacity: brush.opacity, softness: brush.softness, erase: brush.mode === 'eraser' })
  }
  const moveStroke = (e: Konva.KonvaEventObject<MouseEvent>) => {
    const p = stageToContent(view, pointer(e))
    setCursor(p)
    if (viewport.onPointerMove(pointer(e)) || !drawing) return
    setDrawing({ ...drawing, points: [...drawing.points, [p.x, p.y]] })
  }
  const endStroke = () => {
    if (viewport.onPointerUp()) return
    if (drawing) paintStroke(store, drawing)
    setDrawing(null)
  }

  const compareX = photo ? photo.width * repair.compare : 0
  return (
    <div
      className={`canvas-area${dragOver ? ' drop-target' : ''}`}
      ref={container}
      data-testid="repair-canvas"
      data-strokes={strokes.length}
      data-mask={mask && !drawing ? bytesToBase64(mask) : ''}
      onContextMenu={(e) => e.preventDefault()}
      onDragOver={(e) => {
        e.preventDefault()
        setDragOver(true)
      }}
      onDragLeave={() => setDragOver(false)}
      onDrop={(e) => {
        e.preventDefault()
        setDragOver(false)
        const file = e.dataTransfer.files[0]
        if (file) void importPhoto(store, file)
      }}
    >
      <Stage
        width={size.width}
        height={size.height}
        style={{ cursor: photo ? 'none' : 'default' }}
        onWheel={(e) => viewport.onWheel(e.evt, pointer(e))}
        onMouseDown={startStroke}
        onMouseMove={moveStroke}
        onMouseUp={endStroke}
        onMouseLeave={() => {
          endStroke()
          setCursor(null)
        }}
      >
        <Layer name="photo" listening={false} imageSmoothingEnabled={false} x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
          {photoCanvas && <KonvaImage image={photoCanvas} />}
          {afterCanvas && (
            <Group clipX={0} clipY={0} clipWidth={compareX} clipHeight={photo!.height}>
              <KonvaImage image={afterCanvas} />
            </Group>
          )}
        </Layer>
        <Layer name="mask" listening={false} imageSmoothingEnabled={false} x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale} visible={!afterCanvas && !staging}>
          {maskCanvas && <KonvaImage image={maskCanvas} />}
        </Layer>
        <Layer name="staging" listening={false} imageSmoothingEnabled={false} x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
          {staging && <KonvaImage image={staging} />}
          {afterCanvas && !staging && <Line points={[compareX, 0, compareX, photo!.height]} stroke="#5b9dff" strokeWidth={2 / view.scale} />}
          {photo && cursor && !staging && (
            <Circle x={cursor.x} y={cursor.y} radius={brush.size / 2} stroke={brush.mode === 'eraser' ? '#9ecbff' : '#ffb3b3'} strokeWidth={1.5 / view.scale} dash={brush.mode === 'eraser' ? [3 / view.scale, 3 / view.scale] : undefined} />
          )}
        </Layer>
        {!photo && (
          <Layer listening={false}>
            <Text x={0} y={size.height / 2 - 10} width={size.width} align="center" text="Drop a photo here, paste one (Ctrl+V), or use Import" fill="#7d8590" fontSize={15} />
          </Layer>
        )}
      </Stage>
      <CanvasToolbar zoom={view.scale} onFit={viewport.fit}>
        {afterCanvas && <span className="muted">before | after</span>}
      </CanvasToolbar>
    </div>
  )
}

/** B brush, E eraser, [ ] size, Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y, Ctrl+V paste a photo. */
function useRepairShortcuts() {
  const { store } = useServices()
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return
      const key = e.key.toLowerCase()
      const mod = e.ctrlKey || e.metaKey
      if (mod && key === 'z') {
        e.preventDefault()
        if (e.shiftKey) redoRepair(store)
        else undoRepair(store)
      } else if (mod && key === 'y') {
        e.preventDefault()
        redoRepair(store)
      } else if (!mod && key === 'b') updateRepair(store, (r) => ({ brush: { ...r.brush, mode: 'brush' } }))
      else if (!mod && key === 'e') updateRepair(store, (r) => ({ brush: { ...r.brush, mode: 'eraser' } }))
      else if (!mod && key === '[') updateRepair(store, (r) => ({ brush: { ...r.brush, size: Math.max(1, r.brush.size - 1) } }))
      else if (!mod && key === ']') updateRepair(store, (r) => ({ brush: { ...r.brush, size: Math.min(28, r.brush.size + 1) } }))
    }
    const onPaste = (e: ClipboardEvent) => {
      const file = Array.from(e.clipboardData?.files ?? []).find((f) => f.type.startsWith('image/'))
      if (file) {
        e.preventDefault()
        void importPhoto(store, file)
      }
    }
    window.addEventListener('keydown', onKey)
    window.addEventListener('paste', onPaste)
    return () => {
      window.removeEventListener('keydown', onKey)
      window.removeEventListener('paste', onPaste)
    }
  }, [store])
}
