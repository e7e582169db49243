import { createHash } from 'node:crypto'
import { closeSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs'
import { isAbsolute, join, sep } from 'node:path'
import { inspectOnnxFile } from './onnx-file-check'

/** The app's own models root and the SHA-256 of each file in it ("<folder>/<file>" -> hex), fixed at build time. */
export interface ShippedModels {
  root: string
  hashes: Record<string, string>
}

/**
 * Checks one file a manifest names and returns its real path: it must resolve (through any
 * links) to a regular file inside the model's real folder; an .onnx must be whole, and every
 * external-data file it points to must also be a regular file inside the folder. Files of the
 * app's own models must match the hashes its build recorded. Errors complete "the <role> file <name> ...".
 */
export function checkModelFile(realFolder: string, name: string, shipped: { hashes: Record<string, string>; prefix: string } | null): string {
  const real = insideFolder(realFolder, name, 'is missing from')
  if (shipped) checkHash(real, `${shipped.prefix}/${name}`, shipped.hashes)
  if (name.toLowerCase().endsWith('.onnx')) {
    let locations: string[]
    try {
      locations = inspectOnnxFile(real).externalDataLocations
    } catch (error) {
      throw new Error(`is not a whole ONNX model: it ${(error as Error).message}`)
    }
    for (const location of new Set(locations)) {
      if (isAbsolute(location) || /^[A-Za-z]:/.test(location) || location.split(/[\\/]/).some((part) => part === '..')) {
        throw new Error(`keeps weights at "${location}", outside its model folder (external data must be a relative path inside it)`)
      }
      const data = insideFolder(realFolder, location, `keeps weights in "${location}", which is missing from`)
      if (shipped) checkHash(data, `${shipped.prefix}/${location.replace(/\\/g, '/')}`, shipped.hashes)
    }
  }
  return real
}

function insideFolder(realFolder: string, relative: string, missing: string): string {
  let real: string
  try {
    real = realpathSync(join(realFolder, relative))
  } catch {
    throw new Error(`${missing} ${realFolder}`)
  }
  if (!real.startsWith(realFolder + sep)) throw new Error(`resolves to ${real}, outside the model folder ${realFolder}`)
  if (!statSync(real).isFile()) throw new Error(`is not a regular file (${real})`)
  return real
}

function checkHash(file: string, key: string, hashes: Record<string, string>): void {
  const expected = hashes[key]
  if (!expected) throw new Error(`is not one of the files this app was built with (${key})`)
  const actual = sha256File(file)
  if (actual !== expected) throw new Error(`was changed after this app was built (${key}: SHA-256 ${actual.slice(0, 12)}…, built with ${expected.slice(0, 12)}…)`)
}

/** Build time: the SHA-256 of every file one level down in each model folder of `root`. */
export function hashModelFolders(root: string): Record<string, string> {
  const hashes: Record<string, string> = {}
  for (const folder of readdirSync(root).sort()) {
    if (!statSync(join(root, folder)).isDirectory()) continue
    for (const file of readdirSync(join(root, folder)).sort()) {
      const path = join(root, folder, file)
      if (statSync(path).isFile()) hashes[`${folder}/${file}`] = sha256File(path)
    }
  }
  return hashes
}

/** Hashes in 4 MB reads: model files can be larger than one Buffer may hold. */
function sha256File(path: string): string {
  const hash = createHash('sha256')
  const chunk = Buffer.alloc(4 * 1024 * 1024)
  const fd = openSync(path, 'r')
  try {
    for (let position = 0; ; ) {
      const read = readSync(fd, chunk, 0, chunk.length, position)
      if (read === 0) break
      hash.update(chunk.subarray(0, read))
      position += read
    }
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}
