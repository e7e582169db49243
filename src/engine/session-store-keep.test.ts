import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SessionStore } from './session-store'
import { scratchFolder } from '../../test/support/scratch'

function folder(): string {
  return scratchFolder('eqm-session-store-')
}

describe('SessionStore keeps what it cannot read', () => {
  it('keeps an unreadable session file aside, byte for byte, before anything can save over it', () => {
    const dir = folder()
    const file = join(dir, 'session.json')
    const damaged = '{"savedAt":"2026-11-29","data":{"gallery":[{"png":"iVBOR' // cut off mid-write
    writeFileSync(file, damaged)
    const store = new SessionStore(file)
    const loaded = store.load()
    expect(loaded).toMatchObject({ unreadable: expect.stringContaining('not JSON') })
    const keptAt = (loaded as { keptAt: string }).keptAt
    expect(keptAt).toMatch(/session\.unreadable-\d{4}-\d\d-\d\dT[\d-]+Z\.json$/)
    expect(readFileSync(keptAt, 'utf8')).toBe(damaged)

    store.save({ version: 1 })
    expect(readFileSync(keptAt, 'utf8')).toBe(damaged)
    expect(JSON.parse(readFileSync(file, 'utf8')).data).toEqual({ version: 1 })
  })

  it('treats JSON that is no session as unreadable too', () => {
    const file = join(folder(), 'session.json')
    writeFileSync(file, '[1,2,3]')
    expect(new SessionStore(file).load()).toMatchObject({ unreadable: expect.stringContaining('no "data" field') })
  })

  it('copies a file the studio read only in part to a new time-stamped name each time', async () => {
    const dir = folder()
    const file = join(dir, 'session.json')
    const store = new SessionStore(file)
    store.save({ version: 1, gallery: [] })
    const original = readFileSync(file, 'utf8')
    const first = store.keepAside('partial')
    await new Promise((resolve) => setTimeout(resolve, 5))
    const second = store.keepAside('newer')
    expect(first).not.toBe(second)
    expect(readFileSync(first, 'utf8')).toBe(original)
    expect(readdirSync(dir).sort()).toHaveLength(3)
    expect(store.load()).toMatchObject({ data: { version: 1, gallery: [] } })
  })

  it('has nothing to keep when no session was saved', () => {
    const store = new SessionStore(join(folder(), 'session.json'))
    expect(store.load()).toBeNull()
    expect(() => store.keepAside('partial')).toThrow(/there is no session file at .*session\.json to keep/)
  })
})
