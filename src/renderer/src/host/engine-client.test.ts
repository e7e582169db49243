import { afterAll, describe, expect, it } from 'vitest'
import { EngineClient } from './engine-client'
import { connectInProcess, installBrowserGlobals, quadraticEngine } from '../../../../test/support/in-process-engine'
import { MAX_JSON_DEPTH } from '../../../shared/wire-limits'

// The renderer's engine client against the real engine in one process (quadratic field).
installBrowserGlobals()
const engine = quadraticEngine('eqm-client-')
afterAll(() => engine.dispose())

describe('EngineClient when the engine cannot be reached', () => {
  it('fails calls at once while disconnected (nothing is queued), and works again after attach', async () => {
    const client = new EngineClient()
    connectInProcess(engine, client)
    expect((await client.call('models.list', {})).models[0].id).toBe('quadratic')

    // a call in flight when the server goes away fails with the reason
    const inFlight = client.call('generate', { jobId: 'lost', modelId: 'quadratic', seed: 1, count: 1, conditions: [], sampler: { maxSteps: 2000, stopGradNorm: 0 } })
    client.disconnect('the browser-mode server is not reachable')
    await expect(inFlight).rejects.toMatchObject({ code: 'disconnected' })

    const started = performance.now()
    await expect(client.call('generate', { jobId: 'later', modelId: 'quadratic', seed: 1, count: 1, conditions: [] })).rejects.toThrow(
      'generate was not sent: the browser-mode server is not reachable'
    )
    expect(performance.now() - started).toBeLessThan(50)

    connectInProcess(engine, client)
    const result = await client.call('generate', { jobId: 'after', modelId: 'quadratic', seed: 1, count: 1, conditions: [], sampler: { maxSteps: 3 } })
    expect(result.images).toHaveLength(1)
  })

  it('refuses params nested past the shared limit before sending them', async () => {
    const client = new EngineClient()
    connectInProcess(engine, client)
    let deep: unknown = 1
    for (let i = 0; i < 5000; i++) deep = { a: deep }
    await expect(client.call('session.save', { data: deep })).rejects.toThrow(`nested more than ${MAX_JSON_DEPTH} levels deep; it was not sent`)
  })
})
