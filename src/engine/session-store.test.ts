import { afterEach, describe, expect, it } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SessionStore } from './session-store'
import { ROOT } from '../../test/support/paths'
import { MAX_JSON_DEPTH } from '../shared/wire-limits'

let dir = ''
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** A pid that is not running: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
  return Number(child.stdout.trim())
}

const hasStrace = spawnSync('strace', ['-V']).status === 0

describe('SessionStore', () => {
  it('removes temporary files of killed saves at start, keeps a live writer\'s and other files', () => {
    dir = mkdtempSync(join(tmpdir(), 'eqm-store-'))
    const file = join(dir, 'session.json')
    writeFileSync(file, JSON.stringify({ savedAt: 'then', data: { kept: true } }))
    const killed = join(dir, `session.json.${deadPid()}.tmp`)
    const live = join(dir, `session.json.${process.ppid}.tmp`)
    const old = join(dir, `session.json.${process.ppid}1.tmp`)
    const other = join(dir, 'notes.json.1.tmp')
    for (const path of [killed, live, old, other]) writeFileSync(path, '{"half')
    const twoHoursAgo = (Date.now() - 2 * 3600_000) / 1000
    utimesSync(old, twoHoursAgo, twoHoursAgo)

    const store = new SessionStore(file)
    expect(existsSync(killed)).toBe(false)
    expect(existsSync(old)).toBe(false)
    expect(existsSync(live)).toBe(true)
    expect(existsSync(other)).toBe(true)
    expect(store.removedTemporaries.sort()).toEqual([killed, old].sort())
    expect(store.load()).toMatchObject({ data: { kept: true } })
  })

  it('refuses data nested past the shared limit before serialising it, and keeps the old file', () => {
    dir = mkdtempSync(join(tmpdir(), 'eqm-store-'))
    const file = join(dir, 'session.json')
    const store = new SessionStore(file)
    store.save({ a: 1 })
    let deep: unknown = 0
    for (let i = 0; i < 5000; i++) deep = [deep]
    expect(() => store.save(deep)).toThrow(`nested more than ${MAX_JSON_DEPTH} levels`)
    expect(JSON.parse(readFileSync(file, 'utf8')).data).toEqual({ a: 1 })
  })

  it.skipIf(!hasStrace)('fsyncs the file, renames it into place, then fsyncs the folder (traced system calls)', () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'eqm-store-')))
    const file = join(dir, 'session.json')
    const trace = join(dir, 'trace.txt')
    const script = `const { SessionStore } = require(${JSON.stringify(join(ROOT, 'src/engine/session-store.ts'))}); new SessionStore(${JSON.stringify(file)}).save({ a: 1 })`
    execFileSync('strace', ['-f', '-qq', '-e', 'trace=openat,fsync,rename,renameat,renameat2', '-o', trace, process.execPath, '--import', 'tsx', '-e', script], { cwd: ROOT })
    const lines = readFileSync(trace, 'utf8').split('\n')
    const renamed = lines.findIndex((l) => /rename/.test(l) && l.includes(`"${file}"`) && !l.includes('= -1'))
    expect(renamed).toBeGreaterThan(0)
    const fileSync = lines.slice(0, renamed).some((l) => /fsync\(\d+\)\s+= 0/.test(l))
    expect(fileSync).toBe(true)
    const folderOpen = lines.slice(renamed).find((l) => l.includes(`openat(AT_FDCWD, "${dir}"`))
    expect(folderOpen, 'the folder is opened after the rename').toBeDefined()
    const fd = folderOpen!.match(/= (\d+)$/)![1]
    expect(lines.slice(renamed).some((l) => new RegExp(`fsync\\(${fd}\\)\\s+= 0`).test(l))).toBe(true)
  })
})
