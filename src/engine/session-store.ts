import { readFileSync, existsSync } from 'node:fs'
import type { SessionSnapshot } from '../shared/engine-protocol'
import { MAX_SESSION_BYTES, describeDepthProblem } from '../shared/wire-limits'
import { EngineError } from './errors'
import { removeStaleTemporaries, writeFileDurably } from './durable-file'

/**
 * The studio's autosave, in the user-data folder. Written durably (temporary file, fsync,
 * rename, folder fsync), so a crash mid-write leaves the previous session intact; temporary
 * files of a save that was killed are removed when the store opens.
 */
export class SessionStore {
  /** temporary files of killed saves found and removed at start */
  readonly removedTemporaries: string[]

  constructor(private readonly file: string) {
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

  load(): SessionSnapshot | null {
    if (!existsSync(this.file)) return null
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as SessionSnapshot
      return typeof parsed === 'object' && parsed !== null && 'data' in parsed ? parsed : null
    } catch (error) {
      throw new EngineError('internal', `the autosaved session at ${this.file} is unreadable: ${(error as Error).message}`)
    }
  }
}
