import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { HistoryOp, SessionLoad } from '../shared/engine-protocol'
import { BlobStore, refsIn } from './blob-store'
import { EngineError } from './errors'
import { HistoryJournal } from './history-journal'
import { SessionLock } from './session-lock'
import { keepCopy, keepStamp, SessionStore, type KeepLabel } from './session-store'

/** How long a new view waits for the previous writer to go (a page being reloaded, an engine of a server being restarted). */
const HANDOVER_MS = 3000

/**
 * The studio's user-data folder: session.json (settings, the repair document), history.jsonl
 * (the gallery, append-only), store/ (every image once, by content) and session.lock.
 * One view writes: the first to load, in the first process to take the lock. Other tabs,
 * windows or processes get a read-only view that says why, so none overwrites another.
 */
export class UserData {
  readonly session: SessionStore
  readonly journal: HistoryJournal
  readonly blobs: BlobStore
  private readonly lock: SessionLock
  private writer: object | null = null

  constructor(sessionFile: string) {
    const folder = dirname(sessionFile)
    this.session = new SessionStore(sessionFile)
    this.journal = new HistoryJournal(join(folder, 'history.jsonl'))
    this.blobs = new BlobStore(join(folder, 'store'))
    this.lock = new SessionLock(join(folder, 'session.lock'))
  }

  async load(view: object): Promise<SessionLoad> {
    const deadline = Date.now() + HANDOVER_MS
    let readOnly = this.claim(view)
    while (readOnly && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      readOnly = this.claim(view)
    }
    const session = this.session.load()
    const history = this.journal.load()
    const keptAt = history.problems.length > 0 && existsSync(this.journal.file) ? keepCopy(this.journal.file, 'partial', keepStamp()) : null
    // images nothing refers to go, but only when every reference could be read
    const snapshot = session !== null && 'unreadable' in session ? null : session
    if (!readOnly && snapshot === session && history.problems.length === 0) {
      const referenced = refsIn(snapshot?.data)
      for (const entry of history.entries) refsIn(entry, referenced)
      this.blobs.collect(referenced)
    }
    return { session, history: { ...history, keptAt }, readOnly }
  }

  save(view: object, data: unknown): { savedAt: string } {
    this.requireWriter(view)
    return this.session.save(data)
  }

  append(view: object, ops: HistoryOp[]): { entries: number } {
    this.requireWriter(view)
    return { entries: this.journal.append(ops) }
  }

  /** Copies session.json and history.jsonl aside under one time stamp; returns the copies. */
  keepAside(view: object, label: KeepLabel): string[] {
    this.requireWriter(view)
    const stamp = keepStamp()
    const kept: string[] = []
    if (existsSync(this.session.file)) kept.push(this.session.keepAside(label, stamp))
    if (existsSync(this.journal.file)) kept.push(keepCopy(this.journal.file, label, stamp))
    if (kept.length === 0) throw new EngineError('bad-request', 'there is no session or history file to keep')
    return kept
  }

  /** A view went away (tab closed, window reloaded): the next one may write. */
  detach(view: object): void {
    if (this.writer === view) this.writer = null
  }

  /** null when this view is (now) the writer; else why it may only read. */
  private claim(view: object): string | null {
    if (this.writer && this.writer !== view) {
      return 'another tab or window has this session open, so this one is read-only and saves nothing. Close the other and reload this one to work here.'
    }
    const held = this.lock.acquire()
    if (held) return `another EqM Studio (${held}) has this user-data folder open, so this view is read-only and saves nothing.`
    this.writer = view
    return null
  }

  /** Saves come from the writer; after an engine restart the first view to save becomes it again. */
  private requireWriter(view: object): void {
    if (this.writer === view) return
    const readOnly = this.claim(view)
    if (readOnly) throw new EngineError('bad-request', readOnly)
  }
}
