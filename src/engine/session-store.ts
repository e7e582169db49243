import { readFileSync, existsSync, copyFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { SessionSnapshot } from '../shared/engine-protocol'
import { MAX_SESSION_BYTES, describeDepthProblem } from '../shared/wire-limits'
import { EngineError } from './errors'
import { removeStaleTemporaries, writeFileDurably } from './durable-file'

/**
 * The studio's autosave, in the user-data folder. Written durably (temporary file, fsync,
 * rename, folder fsync), so a crash mid-write leaves the previous session intact; temporary
 * files of a save that was killed are removed when the store opens. A file that cannot be
 * read (or, as the studio finds, only in part) is copied aside under a time-stamped name
 * before anything can overwrite it: the user's work is never lost to a save.
 */
export class SessionStore {
  /** temporary files of killed saves found and removed at start */
  readonly removedTemporaries: string[]

  constructor(readonly file: string) {
    this.removedTemporaries = removeStaleTemporaries(file)
  }

  save(data: unknown): { savedAt: string } {
    const tooDeep = describeDepthProblem(data, 'the session')
    if (tooDeep) throw new EngineError('bad-request', tooDeep)
    const savedAt = new Date().toISOString()
    const text = JSON.stringify({ savedAt, data } satisfies SessionSnapshot)
    if (text.length > MAX_SESSION_BYTES) {
      throw new EngineError('bad-request', `the session is ${(text.length / 1e6).toFixed(1)} MB, more than the ${MAX_SESSION_BYTES / 1e6} MB autosave limit`)
    }
    writeFileDurably(this.file, text)
    return { savedAt }
  }

  load(): SessionSnapshot | { unreadable: string; keptAt: string } | null {
    if (!existsSync(this.file)) return null
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'))
    } catch (error) {
      return { unreadable: `not JSON (${(error as Error).message})`, keptAt: this.keepAside('unreadable') }
    }
    if (typeof parsed !== 'object' || parsed === null || !('data' in parsed)) {
      return { unreadable: 'not an EqM Studio session (no "data" field)', keptAt: this.keepAside('unreadable') }
    }
    return parsed as SessionSnapshot
  }

  /** Copies the session file, as it is now, to a time-stamped name beside it; returns that path. */
  keepAside(label: KeepLabel, stamp = keepStamp()): string {
    if (!existsSync(this.file)) throw new EngineError('bad-request', `there is no session file at ${this.file} to keep`)
    return keepCopy(this.file, label, stamp)
  }
}

export type KeepLabel = 'unreadable' | 'partial' | 'newer' | 'migrated'

/** One time stamp for the files kept together. */
export function keepStamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-')
}

/** session.json -> session.<label>-<stamp>.json beside it (copied, the original stays). */
export function keepCopy(file: string, label: KeepLabel, stamp: string): string {
  const name = basename(file)
  const dot = name.lastIndexOf('.')
  const kept = join(dirname(file), dot > 0 ? `${name.slice(0, dot)}.${label}-${stamp}${name.slice(dot)}` : `${name}.${label}-${stamp}`)
  copyFileSync(file, kept)
  return kept
}
