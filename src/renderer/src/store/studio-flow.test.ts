import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectInProcess, installBrowserGlobals, quadraticEngine } from '../../../../test/support/in-process-engine'
import { EngineClient } from '../host/engine-client'
import { createStudioStore } from './studio-store'
import { resolveStudioDefaults } from '../../../shared/manifest'
import { loadModels, startGenerate } from './generate-actions'
import { cancelJob } from './job-actions'
import { composeSlice, syncComposeModel } from '../compose/compose-store'

// The renderer's store and engine client against the real engine, in one process: the
// connection is a direct hand-over of the same wire messages a MessagePort carries.
const engine = quadraticEngine('eqm-flow-')
const connect = (client: EngineClient) => connectInProcess(engine, client)

beforeAll(installBrowserGlobals)
afterAll(() => engine.dispose())

describe('studio store with the real engine', () => {
  it('loads models with their defaults, generates with live frames, accepts into the gallery', async () => {
    const store = createStudioStore()
    store.setState((s) => ({ repair: { ...s.repair, settings: { ...s.repair.settings, strength: 0.95, holdUnmasked: false } } }))
    const client = new EngineClient()
    connect(client)
    await loadModels(store, client)
    expect(store.getState().modelId).toBe('quadratic')
    expect(store.getState().generate.sampler).toEqual(engine.listModels()[0].sampler)
    // repair starts from the model's benchmarked defaults (the fixture states none: fallbacks)
    expect(store.getState().repair.settings).toMatchObject({ strength: 0.5, holdUnmasked: true })

    const steps: number[] = []
    const unsubscribe = store.subscribe((s) => s.job?.step && steps.push(s.job.step))
    store.setState((s) => ({ generate: { ...s.generate, count: 3, classIndex: 2, sampler: { ...s.generate.sampler, stopGradNorm: 0, maxSteps: 30 } } }))
    await startGenerate(store, client)
    unsubscribe()
    const state = store.getState()
    expect(state.job).toBeNull()
    expect(state.gallery).toHaveLength(3)
    expect(state.canvasImages.map((i) => i.id)).toEqual(state.gallery.map((i) => i.id))
    expect(state.gallery[0]).toMatchObject({ kind: 'generate', title: 'light', steps: 30 })
    expect(new Set(steps).size).toBeGreaterThan(1)
    expect(state.lastDescent?.gradHistory.length).toBeGreaterThan(1)
    expect(state.lastDescent).toMatchObject({ tool: 'generate', stopGradNorm: 0 })
  })

  it('a cancelled job leaves canvas and gallery as they were and says so', async () => {
    const store = createStudioStore()
    const client = new EngineClient()
    connect(client)
    await loadModels(store, client)
    store.setState((s) => ({ generate: { ...s.generate, count: 2, sampler: { ...s.generate.sampler, stopGradNorm: 0, maxSteps: 5000 } } }))
    const unsubscribe = store.subscribe((s) => {
      if (s.job && s.job.step >= 2) cancelJob(store, client)
    })
    await startGenerate(store, client)
    unsubscribe()
    expect(store.getState()).toMatchObject({ job: null, gallery: [], canvasImages: [], notice: { kind: 'info' } })
  })

  it('a composition starts from the model\'s composition weight and guidance', () => {
    const base = engine.listModels()[0]
    const model = { ...base, studio: resolveStudioDefaults({ compose: { weight: 0.5, cfg: 2.25 } }, base.sampler) }
    const compose = composeSlice(createStudioStore())
    syncComposeModel(compose, model)
    const state = compose.getState()
    expect(state.rows.map((r) => r.weight)).toEqual([0.5, 0.5])
    expect(state.sampler).toEqual({ ...base.sampler, cfg: 2.25 })
  })
})
