import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { UsageError } from './args'

/**
 * Checks --out before any work is done, so a long job never ends in "cannot write".
 * `folder`: generate and compose write several images into it (created when missing).
 * `file`: repair writes one PNG; its folder must exist.
 */
export function prepareOut(out: string, kind: 'folder' | 'file'): string {
  const path = resolve(out)
  const stat = statOrNull(path)
  if (kind === 'folder') {
    if (stat && !stat.isDirectory()) throw new UsageError(`--out ${out} is a file; generate and compose write into a folder`)
    if (!stat) {
      try {
        mkdirSync(path, { recursive: true })
      } catch (error) {
        throw new UsageError(`--out ${out}: the folder cannot be created (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
      }
    }
    writableFolder(path, `--out ${out}: the folder is not writable`)
    return path
  }
  if (stat?.isDirectory()) throw new UsageError(`--out ${out} is a folder; repair writes one PNG file (for example --out ${out.replace(/[\\/]+$/, '')}/repaired.png)`)
  if (stat && !stat.isFile()) throw new UsageError(`--out ${out} is not a regular file`)
  const folder = dirname(path)
  if (!statOrNull(folder)?.isDirectory()) throw new UsageError(`--out ${out}: the folder ${folder} does not exist`)
  if (stat) writableFile(path, `--out ${out}: the file is not writable`)
  else writableFolder(folder, `--out ${out}: the folder ${folder} is not writable`)
  return path
}

function statOrNull(path: string) {
  try {
    return statSync(path)
  } catch {
    return null
  }
}

/** Tried, not inferred from mode bits: root ignores them, and a read-only mount shows none. */
function writableFolder(folder: string, message: string): void {
  const probe = join(folder, `.eqm-write-check-${process.pid}`)
  try {
    closeSync(openSync(probe, 'wx'))
    unlinkSync(probe)
  } catch (error) {
    throw new UsageError(`${message} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

function writableFile(file: string, message: string): void {
  try {
    closeSync(openSync(file, 'r+'))
  } catch (error) {
    throw new UsageError(`${message} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}
