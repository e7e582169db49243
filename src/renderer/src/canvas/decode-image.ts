import type { RgbaImage } from '../../../shared/image-convert'
import { checkImageDimensions, HEADER_BYTES, readImageHeader, type ImageHeader } from '../../../shared/image-header'
import { base64ToBytes } from '../../../shared/base64'
import { loadImage, pngDataUrl } from './pixels'

/** Largest file accepted for import; decoding more would only exhaust memory. */
export const MAX_IMPORT_BYTES = 200 * 1024 * 1024

/**
 * Reads the file's dimensions from its first bytes (the whole file when they lie further in)
 * and refuses an image over the shared pixel limit before the browser decodes anything.
 */
export async function readFileHeader(file: File): Promise<ImageHeader> {
  const start = new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer())
  try {
    return readImageHeader(start, file.name)
  } catch (error) {
    const cutByUs = file.size > HEADER_BYTES && /cut short or corrupt/.test((error as Error).message)
    if (!cutByUs) throw error
    return readImageHeader(new Uint8Array(await file.arrayBuffer()), file.name)
  }
}

/**
 * Decodes an image file with the browser's own codecs, after its header is checked; every failure
 * names the file. `orient` applies the file's EXIF orientation (full-size photos: shown as the
 * camera meant, the way the engine decodes them).
 */
export async function decodeImageFile(file: File, options: { orient?: boolean } = {}): Promise<RgbaImage> {
  if (file.size === 0) throw new Error(`${file.name}: the file is empty`)
  if (file.size > MAX_IMPORT_BYTES) throw new Error(`${file.name}: ${(file.size / 1e6).toFixed(0)} MB is larger than the ${MAX_IMPORT_BYTES / 1e6} MB import limit`)
  await readFileHeader(file)
  let bitmap: ImageBitmap
  try {
    bitmap = options.orient ? await createImageBitmap(file, { imageOrientation: 'from-image' }) : await createImageBitmap(file)
  } catch {
    throw new Error(`${file.name}: not an image this app can read (PNG, JPEG, WebP, GIF or BMP), or the file is corrupt`)
  }
  try {
    checkImageDimensions(file.name, bitmap.width, bitmap.height)
    return bitmapPixels(bitmap)
  } finally {
    bitmap.close()
  }
}

function bitmapPixels(source: CanvasImageSource & { width: number; height: number }): RgbaImage {
  const canvas = document.createElement('canvas')
  canvas.width = source.width
  canvas.height = source.height
  const context = canvas.getContext('2d', { willReadFrequently: true })!
  context.drawImage(source, 0, 0)
  const data = context.getImageData(0, 0, source.width, source.height).data
  return { width: source.width, height: source.height, data }
}

/** An engine result PNG back to RGBA pixels. */
export async function decodePngBase64(png: string): Promise<RgbaImage> {
  const image = await loadImage(pngDataUrl(png))
  return bitmapPixels(image)
}

export function pngBase64Bytes(png: string): Uint8Array {
  return base64ToBytes(png)
}
