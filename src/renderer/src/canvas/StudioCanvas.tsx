import { useEffect, useMemo, useRef, useState } from 'react'
import { Stage, Layer, Image as KonvaImage, Rect, Text } from 'react-konva'
import { useStudio } from '../store/context'
import { gridLayout, loadImage, pngDataUrl, previewToCanvas } from './pixels'

/**
 * The canvas: a results layer (accepted images) and a staging layer above it where the
 * running descent is drawn live. Staging never becomes history; results do.
 */
export function StudioCanvas() {
  const container = useRef<HTMLDivElement>(null)
  const [size, setSize] = useState({ width: 800, height: 600 })
  const job = useStudio((s) => s.job)
  const images = useStudio((s) => s.canvasImages)

  useEffect(() => {
    const element = container.current
    if (!element) return
    const observer = new ResizeObserver(([entry]) => setSize({ width: Math.max(1, entry.contentRect.width), height: Math.max(1, entry.contentRect.height) }))
    observer.observe(element)
    return () => observer.disconnect()
  }, [])

  const stagingCanvas = useMemo(() => (job?.preview ? previewToCanvas(job.preview) : null), [job?.preview])
  const results = useResultImages(images.map((i) => i.png))

  const content = stagingCanvas ? { width: stagingCanvas.width, height: stagingCanvas.height } : resultsSize(results)
  const scale = content ? fitScale(content, size) : 1
  const offset = content ? { x: (size.width - content.width * scale) / 2, y: (size.height - content.height * scale) / 2 } : { x: 0, y: 0 }

  return (
    <div className="canvas-area" ref={container} data-testid="canvas" data-step={job?.step ?? ''} data-results={images.length}>
      <Stage width={size.width} height={size.height}>
        <Layer name="results" listening={false} x={offset.x} y={offset.y} scaleX={scale} scaleY={scale} opacity={stagingCanvas ? 0 : 1}>
          {results.map((image, i) => {
            const { columns } = gridLayout(results.length)
            return <KonvaImage key={i} image={image} x={(i % columns) * (image.width + 1)} y={Math.floor(i / columns) * (image.height + 1)} imageSmoothingEnabled={false} />
          })}
        </Layer>
        <Layer name="staging" listening={false} x={offset.x} y={offset.y} scaleX={scale} scaleY={scale}>
          {stagingCanvas && <KonvaImage image={stagingCanvas} imageSmoothingEnabled={false} />}
        </Layer>
        {!stagingCanvas && results.length === 0 && (
          <Layer listening={false}>
            <Rect x={0} y={0} width={size.width} height={size.height} fill="transparent" />
            <Text x={0} y={size.height / 2 - 10} width={size.width} align="center" text="Pick a class and press Generate (Ctrl+Enter)" fill="#7d8590" fontSize={15} />
          </Layer>
        )}
      </Stage>
    </div>
  )
}

function resultsSize(images: HTMLImageElement[]): { width: number; height: number } | null {
  if (images.length === 0) return null
  const { columns, rows } = gridLayout(images.length)
  return { width: columns * (images[0].width + 1) - 1, height: rows * (images[0].height + 1) - 1 }
}

/** Largest whole-number zoom that fits, so pixels stay square and crisp. */
function fitScale(content: { width: number; height: number }, area: { width: number; height: number }): number {
  const fit = Math.min((area.width * 0.92) / content.width, (area.height * 0.92) / content.height)
  return fit >= 1 ? Math.floor(fit) : fit
}

function useResultImages(pngs: string[]): HTMLImageElement[] {
  const [images, setImages] = useState<HTMLImageElement[]>([])
  const key = pngs.join('|')
  useEffect(() => {
    let live = true
    Promise.all(pngs.map((p) => loadImage(pngDataUrl(p)))).then(
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
