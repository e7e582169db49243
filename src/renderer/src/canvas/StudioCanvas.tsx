import { useEffect, useState } from 'react'
import { useFileDrop } from './file-drop'
import { Image as KonvaImage } from 'react-konva'
import { useServices, useStudio } from '../store/context'
import type { StoredImages } from '../history/stored-images'
import { gridLayout, loadImage } from './pixels'
import { openParamsPng } from '../store/gallery-actions'
import { CanvasStage, ContentLayer } from './CanvasStage'
import { StagingLayer, useStagingCanvas } from './StagingLayer'

/**
 * The generation canvas: a results layer (accepted images) and a staging layer above it
 * where the running descent is drawn live. Staging never becomes history; results do.
 */
export function StudioCanvas({ emptyHint = 'Pick a class and press Generate (Ctrl+Enter)' }: { emptyHint?: string }) {
  const { images: stored, store, client } = useServices()
  // like A1111's PNG Info and ComfyUI: a dropped EqM PNG brings back its parameters
  const drop = useFileDrop((file) => void openParamsPng(store, client, file))
  const job = useStudio((s) => s.job)
  const images = useStudio((s) => s.canvasPreview ?? s.canvasImages)
  const previewing = useStudio((s) => s.canvasPreview !== null)
  const staging = useStagingCanvas(job?.preview)
  const results = useResultImages(stored, images.map((i) => i.image))
  const content = staging ? { width: staging.width, height: staging.height } : resultsSize(results)
  const { columns } = gridLayout(results.length)
  return (
    <div
      className={`canvas-area${drop.dragOver ? ' drop-target' : ''}`}
      data-testid="canvas"
      data-step={job?.step ?? ''}
      data-results={images.length}
      data-preview={previewing ? 'true' : 'false'}
      title="Drop a PNG exported by EqM Studio here to load its parameters"
      {...drop.handlers}
    >
      <CanvasStage content={content} emptyHint={emptyHint}>
        {(view) => (
          <>
            <ContentLayer view={view} name="results" opacity={staging ? 0 : 1}>
              {results.map((image, i) => (
                <KonvaImage key={i} image={image} x={(i % columns) * (image.width + 1)} y={Math.floor(i / columns) * (image.height + 1)} />
              ))}
            </ContentLayer>
            <StagingLayer view={view} staging={staging} />
          </>
        )}
      </CanvasStage>
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
