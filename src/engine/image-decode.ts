import sharp, { type OutputInfo } from 'sharp'
import { MAX_IMPORT_PIXELS, type RgbaImage } from '../shared/image-convert'
import { checkImageDimensions, readImageHeader } from '../shared/image-header'
import { EngineError } from './errors'

// Its own module so that only what decodes photos (the CLI) loads sharp's native library; the
// engine's jobs encode results with pngjs (image-files.ts).
// A decoded image is used once: libvips' operation cache would only keep it alive.
sharp.cache(false)

/**
 * Decodes an image file's bytes to 8-bit sRGB RGBA as it is meant to be seen (EXIF orientation
 * applied, CMYK and 16-bit converted, palette transparency kept), with libvips (sharp). The
 * header is read first and the pixel limit enforced there; decoding streams into the one output
 * buffer (sequential read, no cache), so memory stays near the decoded image's size; a file that
 * is cut short fails at the first warning instead of decoding to grey. Every error names the file.
 * See docs/image-decoding.md for the measurements behind this choice.
 */
export async function decodeImageFile(bytes: Uint8Array, name: string): Promise<RgbaImage> {
  try {
    readImageHeader(bytes, name)
  } catch (error) {
    throw new EngineError('image-invalid', (error as Error).message)
  }
  let decoded: { data: Buffer; info: OutputInfo }
  try {
    decoded = await sharp(bytes, { limitInputPixels: MAX_IMPORT_PIXELS, failOn: 'warning', sequentialRead: true })
      .rotate()
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
  } catch (error) {
    const reason = (error as Error).message.replace(/^Input (buffer|file) /, '').split('\n')[0]
    throw new EngineError('image-invalid', `${name}: corrupt or unsupported image (${reason})`)
  }
  const { width, height, channels } = decoded.info
  try {
    checkImageDimensions(name, width, height)
  } catch (error) {
    throw new EngineError('image-invalid', (error as Error).message)
  }
  if (channels !== 4) throw new EngineError('image-invalid', `${name}: decoded to ${channels} channels, expected RGBA`)
  return { width, height, data: new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength) }
}
