import { readPngText, withPngText } from '../../../shared/png-text'
import { loadImage } from '../canvas/pixels'

/** Export sizes: the model's own, and nearest-neighbour enlargements (a 28x28 result is hard to see). */
export const EXPORT_SCALES = [1, 4, 8] as const
export type ExportScale = (typeof EXPORT_SCALES)[number]

/**
 * A result PNG at `scale` times its size, every pixel a scale x scale block (nearest, no
 * smoothing), with the same EqM Studio parameters chunk, so Open PNG… and a drop restore it.
 */
export async function scaledPng(png: Uint8Array, scale: ExportScale): Promise<Uint8Array> {
  if (scale === 1) return png
  const url = URL.createObjectURL(new Blob([png as BlobPart], { type: 'image/png' }))
  try {
    const image = await loadImage(url)
    const canvas = document.createElement('canvas')
    canvas.width = image.width * scale
    canvas.height = image.height * scale
    const context = canvas.getContext('2d')!
    context.imageSmoothingEnabled = false
    context.drawImage(image, 0, 0, canvas.width, canvas.height)
    const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the enlarged image could not be encoded'))), 'image/png'))
    const enlarged = new Uint8Array(await blob.arrayBuffer())
    const params = readPngText(png)
    return params === null ? enlarged : withPngText(enlarged, params)
  } finally {
    URL.revokeObjectURL(url)
  }
}
