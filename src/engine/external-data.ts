import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { EngineError } from './errors'
import type { ExternalDataReader } from './quantize-int8'

/**
 * Reads a model's external data from files in the model file's own folder: a location must be
 * a plain file name there (no folders, no ".."), as the importer writes them, and the range must
 * lie inside the file, so a hostile model cannot make the engine read anything else.
 */
export function externalDataBeside(modelFile: string): ExternalDataReader {
  return (location, offset, length) => {
    const path = externalDataFile(modelFile, location)
    const fd = openSync(path, 'r')
    try {
      const size = fstatSync(fd).size
      const bytes = length ?? size - offset
      if (bytes < 0 || offset + bytes > size) throw new EngineError('model-invalid', `${basename(modelFile)}: external data ${location} is shorter than its weights say`)
      const out = new Uint8Array(bytes)
      let done = 0
      while (done < bytes) {
        const read = readSync(fd, out, done, Math.min(bytes - done, 1 << 30), offset + done)
        if (read <= 0) throw new EngineError('model-invalid', `${basename(modelFile)}: external data ${location} ended early`)
        done += read
      }
      return out
    } finally {
      closeSync(fd)
    }
  }
}

/** The path of an external data file named in a model: a plain file name beside the model file, or refused. */
export function externalDataFile(modelFile: string, location: string): string {
  if (location !== basename(location) || location === '..' || location === '.' || location.includes('\\')) {
    throw new EngineError('model-invalid', `${basename(modelFile)}: external data "${location}" is not a file name beside the model`)
  }
  return join(dirname(modelFile), location)
}
