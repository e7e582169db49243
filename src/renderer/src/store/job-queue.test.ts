import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectInProcess, installBrowserGlobals, quadraticEngine } from '../../../../test/support/in-process-engine'
import { EngineClient } from '../host/engine-client'
import { createStudioStore } from './studio-store'
import { loadModels, startGenerate } from './generate-actions'
import { cancelJob } from './job-actions'
import { runRepair, updateRepair } from '../repair/repair-actions'

// The queue across tools with the real engine in one process: a second run is sent at once,
// waits in the engine's queue, and takes the live view over when its own frames start.
const engine = quadraticEngine('eqm-queue-')

beforeAll(installBrowserGlobals)
afterAll(() => engine.dispose())

async function studio() {
  const store = createStudioStore()
  const client = new EngineClient()
  connectInProcess(engine, client)
  await loadModels(store, client)
  return { store, client }
}

describe('job queue across tools', () => {
  it('a run during a job is queued, not refused; each keeps its own result and the live view follows the running one', async () => {
    const { store, client } = await studio()
    store.setState((s) => ({ generate: { ...s.generate, count: 2, classIndex: 1, sampler: { ...s.generate.sampler, stopGradNorm: 0, maxSteps: 40 } } }))
    const liveOrder: string[] = []
    const queueSizes: number[] = []
    const unsubscribe = store.subscribe((s) => {
      if (s.job?.state === 'running' && liveOrder[liveOrder.length - 1] !== s.job.jobId) liveOrder.push(s.job.jobId)
      queueSizes.push(s.queue.length)
    })
    const first = startGenerate(store, client)
    store.setState((s) => ({ tool: 'compose', generate: { ...s.generate, count: 1, classIndex: 2 } }))
    const second = startGenerate(store, client)
    expect(store.getState().queue.map((q) => [q.tool, q.state])).toEqual([
      ['generate', 'queued'],
      ['compose', 'queued']
    ])
    await Promise.all([first, second])
    unsubscribe()
    const state = store.getState()
    expect(Math.max(...queueSizes)).toBe(2)
    expect(liveOrder).toHaveLength(2)
    expect(state.queue).toEqual([])
    expect(state.job).toBeNull()
    // newest first: the queued one (light, one image) finished after the first (mid, two)
    expect(state.gallery.map((g) => g.title)).toEqual(['light', 'mid', 'mid'])
  })

  it('cancelling the queued job leaves the running one to finish', async () => {
    const { store, client } = await studio()
    store.setState((s) => ({ generate: { ...s.generate, count: 1, sampler: { ...s.generate.sampler, stopGradNorm: 0, maxSteps: 60 } } }))
    const first = startGenerate(store, client)
    const second = startGenerate(store, client)
    const queued = store.getState().queue[1].jobId
    cancelJob(store, client, queued)
    await Promise.all([first, second])
    const state = store.getState()
    expect(state.gallery).toHaveLength(1)
    expect(state.notice).toEqual({ kind: 'info', text: 'Cancelled the queued Generate job.' })
    expect(state.queue).toEqual([])
  })
})

describe('a queued repair', () => {
  it('that finishes after another photo was opened goes to the history, not onto the new photo', async () => {
    const { store, client } = await studio()
    const photo = (name: string, value: number) => ({ name, originalWidth: 8, originalHeight: 8, width: 8, height: 8, channels: 1, bytes: new Uint8Array(64).fill(value) })
    const stroke = { points: [[4, 4]] as [number, number][], size: 6, opacity: 1, softness: 0, erase: false }
    const first = photo('first.png', 40)
    updateRepair(store, (r) => ({ history: { ...r.history, document: { photo: first, strokes: [stroke] } }, settings: { ...r.settings, sampler: { ...r.settings.sampler, stopGradNorm: 0, maxSteps: 200 } } }))
    const running = runRepair(store, client)
    const second = photo('second.png', 200)
    updateRepair(store, (r) => ({ history: { ...r.history, document: { photo: second, strokes: [] } } }))
    await running
    const state = store.getState()
    expect(state.repair.result).toBeNull()
    expect(state.repair.history.document.photo).toBe(second)
    expect(state.gallery).toHaveLength(1)
    expect(state.notice?.text).toContain('The repair of first.png finished after the photo on the canvas changed')
  })
})
