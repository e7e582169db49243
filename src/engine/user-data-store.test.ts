import { spawn } from 'node:child_process'
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PNG } from 'pngjs'
import { BlobStore } from './blob-store'
import { HistoryJournal } from './history-journal'
import { SessionLock } from './session-lock'
import { UserData } from './user-data-store'
import type { HistoryOp } from '../shared/engine-protocol'
import { scratchFolder } from '../../test/support/scratch'

const folder = () => scratchFolder('eqm-user-data-')
function png(gray: number): Uint8Array {
  const image = new PNG({ width: 2, height: 2 })
  image.data.fill(gray)
  return PNG.sync.write(image)
}
const add = (id: string, image: string): HistoryOp => ({ op: 'add', entry: { id, image, title: id } })

describe('BlobStore', () => {
  it('stores each image once, by content, and reads it back', () => {
    const store = new BlobStore(join(folder(), 'store'))
    const a = store.put(png(10), 'png')
    expect(store.put(png(10), 'png')).toBe(a)
    expect(a).toMatch(/^[0-9a-f]{64}\.png$/)
    expect(readdirSync(store.folder)).toEqual([a])
    expect(Buffer.from(store.get(a)).equals(Buffer.from(png(10)))).toBe(true)
    expect(store.put(Uint8Array.of(1, 2, 3), 'raw')).toMatch(/\.raw$/)
  })

  it('refuses what is not a PNG, unknown names and paths', () => {
    const store = new BlobStore(join(folder(), 'store'))
    expect(() => store.put(Uint8Array.of(1, 2, 3), 'png')).toThrow('store.put: the data is not a PNG')
    expect(() => store.get(`${'0'.repeat(64)}.png`)).toThrow(`store.get: ${'0'.repeat(64)}.png is not in the image store`)
    expect(() => store.get('../session.json')).toThrow('not an image-store name')
  })

  it('collects only what nothing refers to', () => {
    const store = new BlobStore(join(folder(), 'store'))
    const kept = store.put(png(1), 'png')
    const gone = store.put(png(2), 'png')
    expect(store.collect(new Set([kept]))).toBe(1)
    expect(readdirSync(store.folder)).toEqual([kept])
    expect(existsSync(join(store.folder, gone))).toBe(false)
  })
})

describe('HistoryJournal', () => {
  const ref = `${'a'.repeat(64)}.png`
  it('replays appends and removals; a removed entry added again is the newest', () => {
    const file = join(folder(), 'history.jsonl')
    const journal = new HistoryJournal(file)
    journal.append([add('1', ref), add('2', ref), add('3', ref)])
    journal.append([{ op: 'remove', ids: ['1', '2'] }])
    journal.append([add('1', ref)])
    const loaded = new HistoryJournal(file).load()
    expect(loaded.problems).toEqual([])
    expect(loaded.entries.map((e) => e.id)).toEqual(['3', '1'])
  })

  it('drops a line torn by a crash mid-append without complaint, and names any other bad line', () => {
    const file = join(folder(), 'history.jsonl')
    new HistoryJournal(file).append([add('1', ref), add('2', ref)])
    appendFileSync(file, '{"op":"add","entry":{"id":"3","ima')
    expect(new HistoryJournal(file).load()).toMatchObject({ problems: [], entries: [{ id: '1' }, { id: '2' }] })
    writeFileSync(file, `${JSON.stringify(add('1', ref))}\nnot json\n{"op":"paint"}\n${JSON.stringify(add('2', ref))}\n`)
    expect(new HistoryJournal(file).load()).toMatchObject({ problems: ['line 2: not JSON', 'line 3: not a history entry'], entries: [{ id: '1' }, { id: '2' }] })
  })

  it('compacts itself when removals pile up, keeping every live entry', () => {
    const file = join(folder(), 'history.jsonl')
    const journal = new HistoryJournal(file)
    for (let i = 0; i < 400; i++) journal.append([add(`r${i}`, ref), { op: 'remove', ids: [`r${i - 1}`] }])
    const lines = readFileSync(file, 'utf8').trim().split('\n').length
    expect(lines).toBeLessThan(400)
    expect(new HistoryJournal(file).load().entries.map((e) => e.id)).toEqual(['r399'])
  })
})

describe('SessionLock', () => {
  it('is held while its process lives and taken over when it is gone', async () => {
    const file = join(folder(), 'session.lock')
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
    writeFileSync(file, JSON.stringify({ pid: other.pid, host: hostname(), since: '2026-11-29T10:00:00.000Z' }))
    expect(new SessionLock(file).acquire()).toBe(`process ${other.pid} on ${hostname()} has had this user-data folder open since 2026-11-29T10:00:00.000Z`)
    other.kill()
    await new Promise((resolve) => other.once('exit', resolve))
    const lock = new SessionLock(file)
    expect(lock.acquire()).toBeNull()
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid)
    lock.release()
    expect(existsSync(file)).toBe(false)
  })
})

describe('UserData', () => {
  it('lets one view write; a second is read-only and says so, until the first goes', async () => {
    const data = new UserData(join(folder(), 'session.json'))
    const first = {}
    const second = {}
    expect((await data.load(first)).readOnly).toBeNull()
    data.save(first, { version: 2 })
    const started = Date.now()
    expect((await data.load(second)).readOnly).toMatch(/^another tab or window has this session open/)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900) // it waited for a reloading page to go
    expect(() => data.save(second, { version: 2, tool: 'ood' })).toThrow(/read-only/)
    expect(() => data.append(second, [])).toThrow(/read-only/)
    data.detach(first)
    expect((await data.load(second)).readOnly).toBeNull()
    data.save(second, { version: 2, tool: 'ood' })
  })

  it('drops stored images that neither the session nor the history refers to, at load', async () => {
    const dir = folder()
    let data = new UserData(join(dir, 'session.json'))
    const view = {}
    await data.load(view)
    const [inHistory, inSession, orphan, removed] = [1, 2, 3, 4].map((g) => data.blobs.put(png(g), 'png'))
    data.append(view, [add('a', inHistory), add('b', removed), { op: 'remove', ids: ['b'] }])
    data.save(view, { repair: { document: { photo: { bytes: inSession } } } })
    data.detach(view)
    data = new UserData(join(dir, 'session.json'))
    const loaded = await data.load({})
    expect(loaded.history.entries.map((e) => e.id)).toEqual(['a'])
    expect(readdirSync(join(dir, 'store')).sort()).toEqual([inHistory, inSession].sort())
    expect([orphan, removed].some((ref) => existsSync(join(dir, 'store', ref)))).toBe(false)
  })

  it('keeps a damaged journal aside and collects nothing while references are unknown', async () => {
    const dir = folder()
    const data = new UserData(join(dir, 'session.json'))
    const orphan = data.blobs.put(png(9), 'png')
    writeFileSync(join(dir, 'history.jsonl'), 'garbage\n')
    const loaded = await data.load({})
    expect(loaded.history.problems).toEqual(['line 1: not JSON'])
    expect(loaded.history.keptAt).toMatch(/history\.partial-.*\.jsonl$/)
    expect(readFileSync(loaded.history.keptAt!, 'utf8')).toBe('garbage\n')
    expect(existsSync(join(dir, 'store', orphan))).toBe(true)
  })
})

describe('UserData on a first start', () => {
  it('writes to a user-data folder that does not exist yet (the lock too)', async () => {
    const data = new UserData(join(folder(), 'not', 'yet', 'session.json'))
    const view = {}
    expect((await data.load(view)).readOnly).toBeNull()
    data.save(view, { version: 2 })
  })
})
