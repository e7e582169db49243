import { useMemo, type ReactNode } from 'react'
import { Image as KonvaImage } from 'react-konva'
import type { PreviewImage } from '../../../shared/frames'
import { previewToCanvas } from './pixels'
import { ContentLayer } from './CanvasStage'
import type { View } from './viewport'

/** The live descent's latest frame, as a canvas (null when there is none). */
export function useStagingCanvas(preview: PreviewImage | null | undefined): HTMLCanvasElement | null {
  return useMemo(() => (preview ? previewToCanvas(preview) : null), [preview])
}

/**
 * The staging layer: what a running job shows, above the results and below the tool's
 * overlays. Staging never becomes history; accepted results do.
 */
export function StagingLayer(props: { view: View; staging: HTMLCanvasElement | null; children?: ReactNode }) {
  return (
    <ContentLayer view={props.view} name="staging">
      {props.staging && <KonvaImage image={props.staging} />}
      {props.children}
    </ContentLayer>
  )
}
