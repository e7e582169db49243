import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PNG } from 'pngjs'
import { connectInProcess, installBrowserGlobals, quadraticEngine } from '../../../../test/support/in-process-engine'
import { EngineClient } from '../host/engine-client'
import { base64ToBytes } from '../../../shared/base64'
import { createStudioStore } from '../store/studio-store'
import { resolveStudioDefaults } from '../../../shared/manifest'
import { loadModels } from '../store/generate-actions'
import { cancelJob } from '../store/job-actions'
import { composeSamplerDefaults, composeSlice, syncComposeModel } from './compose-store'
import { closeComparison, loadComposition, runComparison, runCompose } from './compose-actions'

// Compose against the real engine in one process, on the quadratic field: grad = x - mu[y],
// so a composition's minimum is known exactly (cfg 1: the weighted sum of the class means).
const engine = quadraticEngine('eqm-compose-')
const connect = (client: EngineClient) => connectInProcess(engine, client)

beforeAll(installBrowserGlobals)
afterAll(() => engine.dispose())

async function setup() {
  const store = createStudioStore()
  const client = new EngineClient()
  connect(client)
  await loadModels(store, client)
  const compose = composeSlice(store)
  syncComposeModel(compose, store.getState().models[0])
  return { store, client, compose }
}

/** Mean of a stored result PNG's gray values, mapped back to the model's [-1, 1]. */
async function meanValue(client: EngineClient, ref: string): Promise<number> {
  return meanOfPng((await client.call('store.get', { ref })).data)
}

function meanOfPng(png: string): number {
  const image = PNG.sync.read(Buffer.from(base64ToBytes(png)))
  let sum = 0
  for (let i = 0; i < image.data.length; i += 4) sum += image.data[i]
  return (sum / (image.data.length / 4) / 255) * 2 - 1
}

describe('compose actions with the real engine', () => {
  it('starts from the model: its first two classes and its sampler defaults', async () => {
    const { store, compose } = await setup()
    expect(compose.getState().rows.map((r) => [r.classIndex, r.weight])).toEqual([
      [0, 1],
      [1, 1]
    ])
    expect(compose.getState().sampler).toEqual(store.getState().models[0].sampler)
  })

  it('composes: every row is a condition, the descent lands on the weighted sum of the class minima', async () => {
    const { store, client, compose } = await setup()
    // light (0.8) x 1 + dark (-0.8) x 0.5 = 0.4
    compose.setState((s) => ({ rows: [{ ...s.rows[0], classIndex: 2, weight: 1 }, { ...s.rows[1], classIndex: 0, weight: 0.5 }], count: 2, seed: 9, lockSeed: true }))
    await runCompose(store, client, compose)
    const { gallery, canvasImages, job } = store.getState()
    expect(job).toBeNull()
    expect(gallery).toHaveLength(2)
    expect(canvasImages).toHaveLength(2)
    expect(gallery[0].params.conditions).toMatchObject([
      { classIndex: 2, weight: 1 },
      { classIndex: 0, weight: 0.5 }
    ])
    expect(gallery.map((g) => g.params.seed)).toEqual([9, 10])
    for (const item of gallery) expect(await meanValue(client, item.image)).toBeCloseTo(0.4, 1)
  })

  it('refuses an invalid composition with a notice, running nothing', async () => {
    const { store, client, compose } = await setup()
    compose.setState((s) => ({ rows: [s.rows[0], { ...s.rows[1], classIndex: s.rows[0].classIndex }] }))
    await runCompose(store, client, compose)
    expect(store.getState().notice?.text).toMatch(/listed twice/)
    expect(store.getState().gallery).toHaveLength(0)
  })

  it('draws a new seed unless it is locked', async () => {
    const { store, client, compose } = await setup()
    compose.setState({ seed: 3, lockSeed: false, count: 1 })
    await runCompose(store, client, compose)
    const drawn = compose.getState().seed
    // a fresh seed from 2^31 (a 1 in 2^31 chance to draw 3 again)
    expect(drawn).not.toBe(3)
    expect(store.getState().gallery[0].params.seed).toBe(drawn)
    compose.setState({ lockSeed: true })
    await runCompose(store, client, compose)
    expect(compose.getState().seed).toBe(drawn)
    expect(store.getState().gallery[0].params.seed).toBe(drawn)
  })

  it("resets the sampler to the composition's defaults: the model's sampler with its composition guidance", async () => {
    const { store } = await setup()
    const model = store.getState().models[0]
    const sampler = { ...model.sampler, cfg: 1 }
    const benchmarked = { ...model, sampler, studio: resolveStudioDefaults({ compose: { weight: 0.5, cfg: 3 } }, sampler) }
    expect(composeSamplerDefaults(benchmarked)).toEqual({ ...model.sampler, cfg: 3 })
    const compose = composeSlice(createStudioStore())
    syncComposeModel(compose, benchmarked)
    expect(compose.getState().sampler.cfg).toBe(3)
    expect(compose.getState().rows.map((r) => r.weight)).toEqual([0.5, 0.5])
  })

  it('compares: each class alone and the composition, one seed, in order, all into the gallery', async () => {
    const { store, client, compose } = await setup()
    // dark + light: their means cancel, the composition lands on 0
    compose.setState((s) => ({ rows: [{ ...s.rows[0], classIndex: 0, weight: 1 }, { ...s.rows[1], classIndex: 2, weight: 1 }], seed: 4, lockSeed: true }))
    await runComparison(store, client, compose)
    const comparison = compose.getState().comparison!
    expect(comparison.state).toBe('done')
    expect(comparison.seed).toBe(4)
    expect(comparison.cells.map((c) => [c.kind, c.label, c.status])).toEqual([
      ['single', 'dark alone', 'done'],
      ['single', 'light alone', 'done'],
      ['composition', 'dark ×1 + light ×1', 'done']
    ])
    const [dark, light, both] = comparison.cells.map((c) => meanOfPng(c.png!))
    expect(dark).toBeCloseTo(-0.8, 1)
    expect(light).toBeCloseTo(0.8, 1)
    expect(both).toBeCloseTo(0, 1)
    const { gallery } = store.getState()
    expect(gallery).toHaveLength(3)
    expect(gallery.every((g) => g.params.seed === 4)).toBe(true)
    expect(gallery.map((g) => g.title)).toEqual(['dark (alone)', 'light (alone)', 'dark ×1 + light ×1'])
  })

  it('a cancelled comparison stops, keeps what finished and skips the rest', async () => {
    const { store, client, compose } = await setup()
    compose.setState((s) => ({ seed: 1, lockSeed: true, sampler: { ...s.sampler, maxSteps: 5000, stopGradNorm: 0 } }))
    const running = runComparison(store, client, compose)
    // cancel the first job as soon as it runs
    await new Promise<void>((resolve) => {
      const stop = store.subscribe((s) => {
        if (s.job?.state === 'running') {
          stop()
          cancelJob(store, client)
          resolve()
        }
      })
    })
    await running
    const comparison = compose.getState().comparison!
    expect(comparison.state).toBe('stopped')
    expect(comparison.cells.map((c) => c.status)).toEqual(['skipped', 'skipped', 'skipped'])
    expect(store.getState().notice?.text).toMatch(/Cancelled/)
    expect(store.getState().gallery).toHaveLength(0)
  })

  it('closing the comparison hides it', async () => {
    const { store, client, compose } = await setup()
    compose.setState({ seed: 2, lockSeed: true })
    await runComparison(store, client, compose)
    closeComparison(compose)
    expect(compose.getState().comparison).toBeNull()
  })

  it('loads a composition’s parameters back and switches to Compose', async () => {
    const { store, compose } = await setup()
    const sampler = { ...store.getState().models[0].sampler, cfg: 2 }
    expect(loadComposition(store, { conditions: [{ classIndex: 3, weight: 0.5 }, { classIndex: 1, weight: -1 }], seed: 77, sampler }, compose)).toBe(true)
    expect(store.getState().tool).toBe('compose')
    expect(compose.getState()).toMatchObject({ seed: 77, lockSeed: true, count: 1, sampler })
    expect(compose.getState().rows.map((r) => [r.classIndex, r.weight])).toEqual([
      [3, 0.5],
      [1, -1]
    ])
    // not a composition, or not this model's classes: nothing changes
    expect(loadComposition(store, { conditions: [{ classIndex: 0, weight: 1 }], seed: 1, sampler }, compose)).toBe(false)
    expect(loadComposition(store, { conditions: [{ classIndex: 0, weight: 1 }, { classIndex: 9, weight: 1 }], seed: 1, sampler }, compose)).toBe(false)
    expect(compose.getState().seed).toBe(77)
  })
})
