import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, openSync, fsyncSync, closeSync } from 'node:fs'
import { dirname } from 'node:path'
import type { SessionSnapshot } from '../shared/engine-protocol'
import { EngineError } from './errors'

/** Largest session the autosave accepts; results are small PNGs, so this is generous. */
export const MAX_SESSION_BYTES = 64 * 1024 * 1024

/**
 * The studio's autosave, in the user-data folder. Written to a temporary file, flushed, then
 * renamed over the old one, so a crash mid-write leaves the previous session intact.
 */
export class SessionStore {
  constructor(private readonly file: string) {}

  save(data: unknown): { savedAt: string } {
    const savedAt = new Date().toISOString()
    const text = JSON.stringify({ savedAt, data } satisfies SessionSnapshot)
    if (text.length > MAX_SESSION_BYTES) {
      throw new EngineError('bad-request', `the session is ${(text.length / 1e6).toFixed(1)} MB, more than the ${MAX_SESSION_BYTES / 1e6} MB autosave limit`)
    }
    mkdirSync(dirname(this.file), { recursive: true })
    const temporary = `${this.file}.${process.pid}.tmp`
    writeFileSync(temporary, text)
    const fd = openSync(temporary, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, this.file)
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
