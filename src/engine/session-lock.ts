import { hostname } from 'node:os'
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

interface LockHolder {
  pid: number
  host: string
  since: string
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * One writer per user-data folder across processes (the desktop app and browser mode share
 * the folder): a lock file naming the holding process. A holder that is gone (crashed) no
 * longer holds it. The second process gets a read-only view that says who holds the lock.
 */
export class SessionLock {
  private held = false

  constructor(readonly file: string) {}

  /** null when this process holds the lock now; else who does. */
  acquire(): string | null {
    if (this.held) return null
    const holder = this.holder()
    if (holder && holder.pid !== process.pid && (holder.host !== hostname() || alive(holder.pid))) {
      return `process ${holder.pid} on ${holder.host} has had this user-data folder open since ${holder.since}`
    }
    const mine: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() }
    try {
      // a first start: the user-data folder may not exist yet
      mkdirSync(dirname(this.file), { recursive: true })
      // exclusive create where there was none; a stale lock (dead holder) is replaced
      writeFileSync(this.file, JSON.stringify(mine), { flag: existsSync(this.file) ? 'w' : 'wx' })
    } catch {
      const now = this.holder()
      return now ? `process ${now.pid} on ${now.host} opened this user-data folder at the same moment` : 'the session lock could not be written'
    }
    this.held = true
    process.once('exit', () => this.release())
    return null
  }

  release(): void {
    if (!this.held) return
    this.held = false
    try {
      if (this.holder()?.pid === process.pid) unlinkSync(this.file)
    } catch {
      // already gone
    }
  }

  private holder(): LockHolder | null {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as LockHolder
      return typeof parsed?.pid === 'number' ? parsed : null
    } catch {
      return null
    }
  }
}
