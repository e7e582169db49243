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

/** Model-space bytes (channel-planar) as a canvas, for drawing photos and results. */
export function modelBytesToCanvas(bytes: Uint8Array, size: { channels: number; width: number; height: number }): HTMLCanvasElement {
  const canvas = document.createElement('canvas')
  canvas.width = size.width
  canvas.height = size.height
  const context = canvas.getContext('2d')!
  const image = context.createImageData(size.width, size.height)
  const plane = size.width * size.height
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) image.data[i * 4 + c] = bytes[(size.channels === 1 ? 0 : c) * plane + i]
    image.data[i * 4 + 3] = 255
  }
  context.putImageData(image, 0, 0)
  return canvas
}

/** A mask (0..255) as a translucent overlay in the given colour. */
export function maskToCanvas(mask: Uint8Array, width: number, height: number, rgb: [number, number, number] = [255, 80, 80], opacity = 0.6): HTMLCanvasElement {
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  const context = canvas.getContext('2d')!
  const image = context.createImageData(width, height)
  for (let i = 0; i < mask.length; i++) {
    image.data[i * 4] = rgb[0]
    image.data[i * 4 + 1] = rgb[1]
    image.data[i * 4 + 2] = rgb[2]
    image.data[i * 4 + 3] = Math.round(mask[i] * opacity)
  }
  context.putImageData(image, 0, 0)
  return canvas
}
