import type { PreviewImage } from '../../../shared/frames'
import { base64ToBytes } from '../../../shared/base64'

/** A frame's preview bytes as a canvas Konva can draw (gray or RGB -> RGBA). */
export function previewToCanvas(preview: PreviewImage, reuse?: HTMLCanvasElement): HTMLCanvasElement {
  const canvas = reuse ?? document.createElement('canvas')
  canvas.width = preview.width
  canvas.height = preview.height
  const context = canvas.getContext('2d')!
  const bytes = base64ToBytes(preview.data)
  const image = context.createImageData(preview.width, preview.height)
  const pixels = preview.width * preview.height
  for (let i = 0; i < pixels; i++) {
    const src = i * preview.channels
    image.data[i * 4] = bytes[src]
    image.data[i * 4 + 1] = bytes[src + (preview.channels === 3 ? 1 : 0)]
    image.data[i * 4 + 2] = bytes[src + (preview.channels === 3 ? 2 : 0)]
    image.data[i * 4 + 3] = 255
  }
  context.putImageData(image, 0, 0)
  return canvas
}

export function pngDataUrl(pngBase64: string): string {
  return `data:image/png;base64,${pngBase64}`
}

export function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const image = new Image()
    image.onload = () => resolve(image)
    image.onerror = () => reject(new Error('the image could not be decoded'))
    image.src = src
  })
}

/** Grid placement shared by the staging preview and the result layer, so the two line up. */
export function gridLayout(count: number): { columns: number; rows: number } {
  const columns = Math.ceil(Math.sqrt(count))
  return { columns, rows: Math.ceil(count / columns) }
}
