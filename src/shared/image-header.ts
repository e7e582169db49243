import { imageSize } from 'image-size'
import { MAX_IMPORT_PIXELS } from './image-convert'

/**
 * What an image file's header says, read before any pixel is decoded: a file whose header
 * claims more pixels than MAX_IMPORT_PIXELS is refused here, for the cost of a few bytes,
 * instead of after a decoder has allocated the whole image. Used by the engine (CLI) and the
 * renderer, so both refuse the same files with the same words.
 */
export interface ImageHeader {
  width: number
  height: number
  /** png, jpg, webp, tiff, gif, bmp, heif, ... (image-size's names) */
  type: string
}

/** Bytes of a file's start that hold its dimensions for every format the studio takes (JPEG EXIF may push them past 64 KB). */
export const HEADER_BYTES = 1024 * 1024

/** Reads the dimensions from the first bytes of a file; every error names the file. */
export function readImageHeader(bytes: Uint8Array, name: string): ImageHeader {
  if (bytes.length === 0) throw new Error(`${name}: the file is empty`)
  if (isPngSignature(bytes) && bytes.length < 24) {
    throw new Error(`${name}: the PNG is cut short (${bytes.length} bytes; its header alone is 24)`)
  }
  let size: ReturnType<typeof imageSize>
  try {
    size = imageSize(bytes)
  } catch (error) {
    const reason = (error as Error).message
    if (/unsupported file type/i.test(reason)) throw new Error(`${name}: not an image this app can read (PNG, JPEG, WebP, TIFF, GIF, BMP)`)
    throw new Error(`${name}: the image header is cut short or corrupt (${reason})`)
  }
  const header = { width: size.width ?? 0, height: size.height ?? 0, type: size.type ?? 'unknown' }
  checkImageDimensions(name, header.width, header.height)
  return header
}

/** The one pixel limit, applied to what a header claims and again to what a decoder returns. */
export function checkImageDimensions(name: string, width: number, height: number): void {
  if (!(width > 0 && height > 0)) throw new Error(`${name}: the image has no pixels (${width}x${height})`)
  if (width * height > MAX_IMPORT_PIXELS) {
    throw new Error(`${name}: ${width}x${height} is too large (at most ${MAX_IMPORT_PIXELS / 1e6} megapixels)`)
  }
}

function isPngSignature(bytes: Uint8Array): boolean {
  const signature = [0x89, 0x50, 0x4e, 0x47]
  return signature.every((b, i) => bytes[i] === b)
}
