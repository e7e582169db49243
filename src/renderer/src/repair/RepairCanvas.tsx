import { useMemo, useRef } from 'react'
import { useFileDrop } from '../canvas/file-drop'
import { Image as KonvaImage, Circle, Group, Line } from 'react-konva'
import { useServices, useStudio } from '../store/context'
import { maskToCanvas, modelBytesToCanvas } from '../canvas/pixels'
import { CanvasStage, ContentLayer } from '../canvas/CanvasStage'
import { StagingLayer, useStagingCanvas } from '../canvas/StagingLayer'
import { useBrush } from '../canvas/brush'
import { rasterizeStrokes } from './mask'
import { bytesToBase64 } from '../../../shared/base64'
import { importPhoto, paintStroke, updateRepair } from './repair-actions'
import { holdOutsideMask } from './repair-view'
import { paintedBox } from './photo-paste'

/**
 * The repair canvas, layer by layer: the working photo (as the model sees it), the noise
 * mask being painted, the before/after comparison of the last repair, and the staging
 * layer where a running repair descends live. Shortcuts are in shortcuts.ts.
 */
export function RepairCanvas() {
  const { store } = useServices()
  const repair = useStudio((s) => s.repair)
  const job = useStudio((s) => s.job)
  const { photo, strokes } = repair.history.document
  const drop = useFileDrop((file) => void importPhoto(store, file))
  const { brush } = repair
  // no stroke while the compare view (which hides the mask) or a job is up: the press moves the divider there
  const comparing = repair.result !== null
  const painter = useBrush({ mode: brush.mode, size: brush.size, opacity: brush.opacity, softness: brush.softness }, photo !== null && job === null && !comparing, (stroke) => paintStroke(store, stroke))
  const dividerDrag = useRef(false)
  const moveDivider = (x: number) => photo && updateRepair(store, () => ({ compare: Math.min(1, Math.max(0, x / photo.width)) }))
  const pointer = comparing
    ? {
        down: (p: { x: number }) => {
          dividerDrag.current = true
          moveDivider(p.x)
        },
        move: (p: { x: number }) => dividerDrag.current && moveDivider(p.x),
        up: () => {
          dividerDrag.current = false
        }
      }
    : painter.pointer

  const photoCanvas = useMemo(() => (photo ? modelBytesToCanvas(photo.bytes, photo) : null), [photo])
  const allStrokes = useMemo(() => (painter.drawing ? [...strokes, painter.drawing] : strokes), [strokes, painter.drawing])
  const mask = useMemo(() => (photo ? rasterizeStrokes(allStrokes, photo.width, photo.height) : null), [photo, allStrokes])
  const maskCanvas = useMemo(() => (photo && mask ? maskToCanvas(mask, photo.width, photo.height) : null), [photo, mask])
  const afterCanvas = useMemo(() => (photo && repair.result ? modelBytesToCanvas(repair.result.bytes, photo) : null), [photo, repair.result])
  const holding = job?.kind === 'repair' && job.preview && photo && mask && repair.settings.holdUnmasked
  // a full-size photo's frames are of the model-sized context square, not the photo: the mask stays up instead
  const live = job?.kind === 'repair' && !photo?.fullSize
  const staging = useStagingCanvas(live ? (holding ? holdOutsideMask(job.preview!, photo!, mask!) : job.preview) : null)
  const box = photo?.fullSize && mask && !painter.drawing ? paintedBox(mask, photo.width, photo.height) : null
  const compareX = photo ? photo.width * repair.compare : 0
  const { cursor } = painter

  return (
    <div
      className={`canvas-area${drop.dragOver ? ' drop-target' : ''}`}
      data-testid="repair-canvas"
      data-strokes={strokes.length}
      // a full-size photo's mask is megabytes: only its painted box is exposed
      data-mask={mask && !painter.drawing && !photo?.fullSize ? bytesToBase64(mask) : ''}
      data-mask-box={box ? `${box.x},${box.y},${box.width},${box.height}` : ''}
      data-photo-size={photo ? `${photo.width}x${photo.height}` : ''}
      data-compare={comparing ? repair.compare : ''}
      {...drop.handlers}
    >
      <CanvasStage
        content={photo ? { width: photo.width, height: photo.height } : null}
        emptyHint="Drop a photo here, paste one (Ctrl+V), or use Import"
        pointer={pointer}
        cursor={comparing ? 'ew-resize' : photo ? 'none' : 'default'}
        toolbar={afterCanvas && <span className="muted">before | after</span>}
      >
        {(view) => (
          <>
            <ContentLayer view={view} name="photo">
              {photoCanvas && <KonvaImage image={photoCanvas} />}
              {afterCanvas && (
                <Group clipX={compareX} clipY={0} clipWidth={photo!.width - compareX} clipHeight={photo!.height}>
                  <KonvaImage image={afterCanvas} />
                </Group>
              )}
            </ContentLayer>
            <ContentLayer view={view} name="mask" visible={!afterCanvas && !staging}>
              {maskCanvas && <KonvaImage image={maskCanvas} />}
            </ContentLayer>
            <StagingLayer view={view} staging={staging}>
              {afterCanvas && !staging && <Line points={[compareX, 0, compareX, photo!.height]} stroke="#5b9dff" strokeWidth={2 / view.scale} />}
              {photo && cursor && !staging && !comparing && (
                <Circle x={cursor.x} y={cursor.y} radius={brush.size / 2} stroke={brush.mode === 'eraser' ? '#9ecbff' : '#ffb3b3'} strokeWidth={1.5 / view.scale} dash={brush.mode === 'eraser' ? [3 / view.scale, 3 / view.scale] : undefined} />
              )}
            </StagingLayer>
          </>
        )}
      </CanvasStage>
    </div>
  )
}
