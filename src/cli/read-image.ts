import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { constants } from 'node:fs'
import { decodeImageFile } from '../engine/image-decode'
import { EngineError } from '../engine/errors'
import type { RgbaImage } from '../shared/image-convert'

/** Largest image file read: a 64 MP photo is far smaller in any format the decoder takes. */
export const MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024

/**
 * Reads and decodes one image file. It is opened without blocking and checked to be a regular
 * file before any read (a FIFO named by mistake would otherwise wait forever), and its size is
 * bounded; every error names the file.
 */
export async function readImageFile(path: string): Promise<RgbaImage> {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new EngineError('image-invalid', code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be opened (${code ?? (error as Error).message})`)
  }
  let bytes: Uint8Array
  try {
    const stat = fstatSync(fd)
    if (stat.isDirectory()) throw new EngineError('image-invalid', `${path} is a folder (give the folder itself to "eqm ood" to take the images in it)`)
    if (!stat.isFile()) throw new EngineError('image-invalid', `${path} is not a regular file`)
    if (stat.size > MAX_IMAGE_FILE_BYTES) throw new EngineError('image-invalid', `${path}: ${(stat.size / 2 ** 20).toFixed(0)} MB is larger than the ${MAX_IMAGE_FILE_BYTES / 2 ** 20} MB limit for an image file`)
    bytes = new Uint8Array(stat.size)
    let read = 0
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read)
      if (n === 0) break
      read += n
    }
    bytes = bytes.subarray(0, read)
  } finally {
    closeSync(fd)
  }
  return decodeImageFile(bytes, path)
}
