import { useEffect, useMemo, useState } from 'react'
import { Stage, Layer, Image as KonvaImage, Text } from 'react-konva'
import type Konva from 'konva'
import { useServices, useStudio } from '../store/context'
import type { StoredImages } from '../history/stored-images'
import { gridLayout, loadImage, previewToCanvas } from './pixels'
import { useContainerSize, useViewport } from './viewport'
import { CanvasToolbar } from './CanvasToolbar'

/**
 * The generation canvas: a results layer (accepted images) and a staging layer above it
 * where the running descent is drawn live. Staging never becomes history; results do.
 */
export function StudioCanvas({ emptyHint = 'Pick a class and press Generate (Ctrl+Enter)' }: { emptyHint?: string }) {
  const [container, size] = useContainerSize()
  const job = useStudio((s) => s.job)
  const images = useStudio((s) => s.canvasPreview ?? s.canvasImages)
  const previewing = useStudio((s) => s.canvasPreview !== null)
  const stagingCanvas = useMemo(() => (job?.preview ? previewToCanvas(job.preview) : null), [job?.preview])
  const { images: stored } = useServices()
  const results = useResultImages(stored, images.map((i) => i.image))
  const content = stagingCanvas ? { width: stagingCanvas.width, height: stagingCanvas.height } : resultsSize(results)
  const viewport = useViewport(content, size)
  const { view } = viewport
  const { columns } = gridLayout(results.length)

  const pointer = (e: Konva.KonvaEventObject<Event>) => e.target.getStage()?.getPointerPosition() ?? { x: 0, y: 0 }
  return (
    <div className="canvas-area" ref={container} data-testid="canvas" data-step={job?.step ?? ''} data-results={images.length} data-preview={previewing ? 'true' : 'false'} onContextMenu={(e) => e.preventDefault()}>
      <Stage
        width={size.width}
        height={size.height}
        onWheel={(e) => viewport.onWheel(e.evt, pointer(e))}
        onMouseDown={(e) => viewport.onPointerDown(e.evt, pointer(e))}
        onMouseMove={(e) => viewport.onPointerMove(pointer(e))}
        onMouseUp={() => viewport.onPointerUp()}
      >
        <Layer name="results" listening={false} imageSmoothingEnabled={false} x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale} opacity={stagingCanvas ? 0 : 1}>
          {results.map((image, i) => (
            <KonvaImage key={i} image={image} x={(i % columns) * (image.width + 1)} y={Math.floor(i / columns) * (image.height + 1)} />
          ))}
        </Layer>
        <Layer name="staging" listening={false} imageSmoothingEnabled={false} x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
          {stagingCanvas && <KonvaImage image={stagingCanvas} />}
        </Layer>
        {!stagingCanvas && results.length === 0 && (
          <Layer listening={false}>
            <Text x={0} y={size.height / 2 - 10} width={size.width} align="center" text={emptyHint} fill="#7d8590" fontSize={15} />
          </Layer>
        )}
      </Stage>
      <CanvasToolbar zoom={view.scale} onFit={viewport.fit} />
    </div>
  )
}

function resultsSize(images: HTMLImageElement[]): { width: number; height: number } | null {
  if (images.length === 0) return null
  const { columns, rows } = gridLayout(images.length)
  return { width: columns * (images[0].width + 1) - 1, height: rows * (images[0].height + 1) - 1 }
}

function useResultImages(stored: StoredImages, refs: string[]): HTMLImageElement[] {
  const [images, setImages] = useState<HTMLImageElement[]>([])
  const key = refs.join('|')
  useEffect(() => {
    let live = true
    Promise.all(refs.map(async (ref) => loadImage(await stored.url(ref)))).then(
      (loaded) => live && setImages(loaded),
      () => live && setImages([])
    )
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key])
  return images
}
