import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import type { HistoryEntryRecord, HistoryOp } from '../shared/engine-protocol'
import { writeFileDurably } from './durable-file'

/** Compact when the journal holds this many more lines than live entries. */
const SLACK_LINES = 256

/**
 * The gallery's history as an append-only journal (one JSON line per added entry or removal),
 * so that saving a new result costs the same with 10 or 10,000 results. Loading replays it;
 * when removals have piled up it is rewritten whole (temporary file, fsync, rename).
 * A line torn by a crash mid-append (the last, unterminated) is dropped; any other line that
 * cannot be read is reported, and the caller keeps the file aside before it is rewritten.
 */
export class HistoryJournal {
  private entries = new Map<string, HistoryEntryRecord>()
  private lines = 0

  constructor(readonly file: string) {}

  load(): { entries: HistoryEntryRecord[]; problems: string[] } {
    this.entries = new Map()
    this.lines = 0
    const problems: string[] = []
    if (!existsSync(this.file)) return { entries: [], problems }
    const text = readFileSync(this.file, 'utf8')
    const lines = text.split('\n')
    const torn = !text.endsWith('\n') ? lines.length - 1 : -1
    lines.forEach((line, i) => {
      if (line.trim() === '') return
      this.lines++
      let op: HistoryOp
      try {
        op = JSON.parse(line) as HistoryOp
      } catch {
        if (i !== torn) problems.push(`line ${i + 1}: not JSON`)
        return
      }
      if (!this.apply(op)) problems.push(`line ${i + 1}: not a history entry`)
    })
    return { entries: [...this.entries.values()], problems }
  }

  /** Appends and flushes; compacts when removals make up most of the file. */
  append(ops: readonly HistoryOp[]): number {
    for (const op of ops) this.apply(op)
    if (this.lines + ops.length > 2 * this.entries.size + SLACK_LINES) {
      this.compact()
      return this.entries.size
    }
    mkdirSync(dirname(this.file), { recursive: true })
    const fd = openSync(this.file, 'a')
    try {
      writeSync(fd, ops.map((op) => `${JSON.stringify(op)}\n`).join(''))
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    this.lines += ops.length
    return this.entries.size
  }

  /** Rewrites the journal as one line per live entry. */
  compact(): void {
    mkdirSync(dirname(this.file), { recursive: true })
    const text = [...this.entries.values()].map((entry) => `${JSON.stringify({ op: 'add', entry } satisfies HistoryOp)}\n`).join('')
    writeFileDurably(this.file, text)
    this.lines = this.entries.size
  }

  get live(): readonly HistoryEntryRecord[] {
    return [...this.entries.values()]
  }

  private apply(op: HistoryOp): boolean {
    if (op?.op === 'add' && typeof op.entry?.id === 'string') {
      // a re-added entry (undo of a removal) moves to the end, as the newest line
      this.entries.delete(op.entry.id)
      this.entries.set(op.entry.id, op.entry)
      return true
    }
    if (op?.op === 'remove' && Array.isArray(op.ids)) {
      for (const id of op.ids) this.entries.delete(id)
      return true
    }
    return false
  }
}
