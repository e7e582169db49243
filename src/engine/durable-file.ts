import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * Replaces a file so that a crash or power cut at any moment leaves either the old or the new
 * content: write a temporary file beside it, fsync it, rename it over the old one, then fsync
 * the folder so the rename itself is on disk (POSIX; Windows cannot open a folder to sync it,
 * and NTFS journals the rename).
 */
export function writeFileDurably(file: string, text: string | Uint8Array): void {
  const folder = dirname(file)
  mkdirSync(folder, { recursive: true })
  const temporary = temporaryName(file, process.pid)
  // one write(2) may write less than asked (a full disk, a signal; at most ~2 GB on Linux), so
  // it loops; a failed write leaves no temporary file behind (a big one would fill the disk)
  const bytes = typeof text === 'string' ? Buffer.from(text) : text
  try {
    const fd = openSync(temporary, 'w')
    try {
      for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, bytes.byteLength - done)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, file)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
  syncFolder(folder)
}

export function syncFolder(folder: string): void {
  if (process.platform === 'win32') return
  const fd = openSync(folder, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

function temporaryName(file: string, pid: number): string {
  return `${file}.${pid}.tmp`
}

/**
 * Removes temporary files a killed writer of `file` left behind ("<name>.<pid>.tmp"): those of
 * processes no longer running, and any older than `staleMs` (a reused pid). A live writer's
 * fresh temporary file is left alone. Returns the paths removed.
 */
export function removeStaleTemporaries(file: string, staleMs = 60 * 60 * 1000): string[] {
  const folder = dirname(file)
  const pattern = new RegExp(`^${escapeRegExp(basename(file))}\\.(\\d+)\\.tmp$`)
  let names: string[]
  try {
    names = readdirSync(folder)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    const match = pattern.exec(name)
    if (!match) continue
    const path = join(folder, name)
    const pid = Number(match[1])
    try {
      const stale = Date.now() - statSync(path).mtimeMs > staleMs
      if (pid === process.pid || stale || !isRunning(pid)) {
        rmSync(path, { force: true })
        removed.push(path)
      }
    } catch {
      // gone meanwhile: nothing to clean
    }
  }
  return removed
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
