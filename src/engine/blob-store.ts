import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { BLOB_REF_PATTERN, type BlobType } from '../shared/engine-protocol'
import { EngineError } from './errors'
import { writeFileDurably } from './durable-file'

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
/** Largest blob accepted: a 4096x4096 RGBA PNG is under this. */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024

/**
 * The studio's images, stored once each in the user-data folder, named by the SHA-256 of
 * their bytes (`<hash>.png` for results, `<hash>.raw` for model-space photo bytes). The
 * session and the history refer to them by that name, so saving never rewrites an image.
 */
export class BlobStore {
  constructor(readonly folder: string) {}

  put(data: Uint8Array, type: BlobType): string {
    if (data.length > MAX_BLOB_BYTES) throw new EngineError('bad-request', `store.put: ${(data.length / 1e6).toFixed(1)} MB is more than the ${MAX_BLOB_BYTES / 1e6} MB limit`)
    if (type === 'png' && !PNG_SIGNATURE.every((byte, i) => data[i] === byte)) throw new EngineError('image-invalid', 'store.put: the data is not a PNG')
    const ref = `${createHash('sha256').update(data).digest('hex')}.${type}`
    const file = join(this.folder, ref)
    if (!existsSync(file)) {
      mkdirSync(this.folder, { recursive: true })
      writeFileDurably(file, data)
    }
    return ref
  }

  get(ref: string): Uint8Array {
    const file = this.path(ref)
    try {
      return readFileSync(file)
    } catch {
      throw new EngineError('bad-request', `store.get: ${ref} is not in the image store (${this.folder})`)
    }
  }

  /** The file of a ref; refuses anything that is not a well-formed ref (no path tricks). */
  path(ref: string): string {
    if (!BLOB_REF_PATTERN.test(ref)) throw new EngineError('bad-request', `not an image-store name: ${JSON.stringify(ref).slice(0, 80)}`)
    return join(this.folder, ref)
  }

  /** Deletes every stored blob that nothing refers to; returns how many went. */
  collect(referenced: ReadonlySet<string>): number {
    if (!existsSync(this.folder)) return 0
    let removed = 0
    for (const name of readdirSync(this.folder)) {
      if (!BLOB_REF_PATTERN.test(name) || referenced.has(name)) continue
      const file = join(this.folder, name)
      if (!statSync(file).isFile()) continue
      unlinkSync(file)
      removed++
    }
    return removed
  }
}

/** Every image-store name found anywhere in a parsed JSON value. */
export function refsIn(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    if (BLOB_REF_PATTERN.test(value)) into.add(value)
  } else if (Array.isArray(value)) {
    for (const entry of value) refsIn(entry, into)
  } else if (typeof value === 'object' && value !== null) {
    for (const entry of Object.values(value)) refsIn(entry, into)
  }
  return into
}
