import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** What a user-data folder's files hold, read the way the engine reads them (for assertions). */

/** the ids the history journal holds now, oldest first; [] while the journal is missing or mid-write */
export function historyIds(userData: string): string[] {
  try {
    const ids = new Map<string, true>()
    for (const line of readFileSync(join(userData, 'history.jsonl'), 'utf8').split('\n').filter(Boolean)) {
      const op = JSON.parse(line)
      if (op.op === 'add') ids.set(op.entry.id, true)
      else for (const id of op.ids) ids.delete(id)
    }
    return [...ids.keys()]
  } catch {
    return []
  }
}
