import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../../engine/engine'
import { EngineClient } from '../host/engine-client'
import { createStudioStore } from '../store/studio-store'
import { loadModels, startGenerate } from '../store/generate-actions'
import { connectInProcess, installBrowserGlobals } from '../../../../test/support/in-process-engine'
import { FIXTURE_MODELS } from '../../../../test/support/paths'
import { restoreSession } from './restore'
import { startAutosave, type Autosave } from './autosave'

// The autosave against the real engine in this process, writing a real user-data folder.
beforeAll(installBrowserGlobals)
const engines: Engine[] = []
const running: Autosave[] = []
afterAll(() => {
  for (const autosave of running) autosave.stop()
  for (const engine of engines) engine.dispose()
})

function engineWithFolder() {
  const models = mkdtempSync(join(tmpdir(), 'eqm-autosave-models-'))
  cpSync(join(FIXTURE_MODELS, 'quadratic'), join(models, 'quadratic'), { recursive: true })
  const folder = mkdtempSync(join(tmpdir(), 'eqm-autosave-user-'))
  const engine = new Engine({ modelRoots: [models], frameIntervalMs: 0, sessionFile: join(folder, 'session.json') })
  engines.push(engine)
  const read = (name: string) => (existsSync(join(folder, name)) ? readFileSync(join(folder, name), 'utf8') : '')
  return { engine, journal: () => read('history.jsonl'), session: () => read('session.json') }
}

async function studioWithAutosave(engine: Engine, timings: { settingsDelayMs: number; retryDelaysMs: number[] }) {
  const store = createStudioStore()
  const client = new EngineClient()
  const hangUp = connectInProcess(engine, client)
  const restored = await restoreSession(store, client)
  await loadModels(store, client)
  const autosave = startAutosave(store, client, restored, timings)
  running.push(autosave)
  return { store, client, autosave, hangUp }
}

async function generate(store: ReturnType<typeof createStudioStore>, client: EngineClient, count: number) {
  store.setState((s) => ({ generate: { ...s.generate, count, sampler: { ...s.generate.sampler, maxSteps: 3 } } }))
  await startGenerate(store, client)
}

describe('autosave', () => {
  it('saves a new result at once, not after the settings delay, so a server that stops right after keeps it', async () => {
    const { engine, journal } = engineWithFolder()
    // a settings delay no test waits for: only a save that skips it can pass
    const { store, client } = await studioWithAutosave(engine, { settingsDelayMs: 60_000, retryDelaysMs: [60_000] })
    await generate(store, client, 2)
    const ids = store.getState().gallery.map((item) => item.id)
    expect(ids).toHaveLength(2)
    await expect.poll(() => ids.every((id) => journal().includes(id)), { timeout: 3000 }).toBe(true)
    client.disconnect('the browser-mode server is not reachable')
    expect(store.getState().notice).toBeNull()
  })

  it('a save that fails while the engine is away is tried again on its own and lands once it is back', async () => {
    const { engine, journal, session } = engineWithFolder()
    const { store, client, autosave, hangUp } = await studioWithAutosave(engine, { settingsDelayMs: 20, retryDelaysMs: [50, 100] })
    await generate(store, client, 2)
    await autosave.settled()
    const [kept, removed] = store.getState().gallery.map((item) => item.id)
    expect(journal()).toContain(removed)

    hangUp()
    client.disconnect('the engine stopped')
    // the user removes a result and changes a setting while nothing can be saved
    store.setState((s) => ({ gallery: s.gallery.filter((item) => item.id !== removed), generate: { ...s.generate, count: 7 } }))
    await expect.poll(() => store.getState().notice?.text ?? '', { timeout: 3000 }).toMatch(/^Autosave failed: .*the engine stopped.*still here, and saving is tried again/)
    await new Promise((resume) => setTimeout(resume, 300))
    expect(journal()).not.toContain('"op":"remove"')

    // the engine comes back; no further change is made, the retry alone saves
    connectInProcess(engine, client)
    await expect.poll(() => journal().includes('"op":"remove"') && journal().includes(removed), { timeout: 3000 }).toBe(true)
    await expect.poll(() => JSON.parse(session() || '{}').data?.generate?.count, { timeout: 3000 }).toBe(7)
    expect(store.getState().notice).toEqual({ kind: 'info', text: 'Autosave works again: everything is saved.' })
    expect(store.getState().gallery.map((item) => item.id)).toEqual([kept])
  })

  it('saves a setting held back by the settings delay when the window is about to close', async () => {
    const { engine, session } = engineWithFolder()
    const { store, autosave } = await studioWithAutosave(engine, { settingsDelayMs: 60_000, retryDelaysMs: [60_000] })
    store.setState((s) => ({ generate: { ...s.generate, count: 11 } }))
    await new Promise((resume) => setTimeout(resume, 50))
    expect(JSON.parse(session() || '{}').data?.generate?.count).not.toBe(11)
    await expect(autosave.saveBeforeClose()).resolves.toBe(true)
    expect(JSON.parse(session()).data.generate.count).toBe(11)
  })

  it('answers at once, unsaved, when the engine is away before a close, instead of waiting out the retries', async () => {
    const { engine } = engineWithFolder()
    const { store, client, autosave, hangUp } = await studioWithAutosave(engine, { settingsDelayMs: 60_000, retryDelaysMs: [60_000] })
    hangUp()
    client.disconnect('the engine stopped')
    store.setState((s) => ({ generate: { ...s.generate, count: 12 } }))
    const started = Date.now()
    await expect(autosave.saveBeforeClose()).resolves.toBe(false)
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('tells how many new results are not saved yet when a save fails', async () => {
    const { engine } = engineWithFolder()
    const { store, client, autosave } = await studioWithAutosave(engine, { settingsDelayMs: 20, retryDelaysMs: [60_000] })
    await generate(store, client, 1)
    await autosave.settled()
    const result = store.getState().gallery[0]
    client.disconnect('the engine stopped')
    const copies = [1, 2, 3].map((i) => ({ ...result, id: `${result.id}-copy${i}` }))
    store.setState((s) => ({ gallery: [...copies, ...s.gallery] }))
    await expect.poll(() => store.getState().notice?.text ?? '', { timeout: 3000 }).toContain('3 new results and your settings are still here')
  })
})
