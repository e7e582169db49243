import { afterEach, describe, expect, it } from 'vitest'
import { EngineSupervisor } from './engine-supervisor'
import type { EngineStatus } from '../../shared/engine-status'
import type { EngineMessage } from '../../shared/engine-protocol'
import { FakePort, fakeChannel, forkEngineHost } from '../../../test/support/node-engine-process'
import { FIXTURE_MODELS } from '../../../test/support/paths'

async function until<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const started = Date.now()
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

let supervisor: EngineSupervisor<FakePort> | null = null
afterEach(() => supervisor?.stop())

describe('EngineSupervisor with a real engine process', () => {
  it('connects the window, survives a kill mid-job, tells the UI and reconnects', async () => {
    const statuses: EngineStatus[] = []
    const windowPorts: FakePort[] = []
    const processes: ReturnType<typeof forkEngineHost>[] = []
    supervisor = new EngineSupervisor<FakePort>({
      fork: () => {
        const p = forkEngineHost({ modelRoots: [FIXTURE_MODELS] })
        processes.push(p)
        return p
      },
      createChannel: fakeChannel,
      deliverToWindow: (port) => windowPorts.push(port),
      notify: (status) => statuses.push(status),
      restartDelayMs: () => 10
    })
    supervisor.start()
    const firstPort = await until('first window port', () => windowPorts[0])
    expect(statuses.map((s) => s.state)).toEqual(['starting', 'ready'])

    // a long job, killed once frames flow
    firstPort.postMessage({
      kind: 'request',
      id: 1,
      method: 'generate',
      params: { jobId: 'long', modelId: 'quadratic', seed: 1, count: 2, conditions: [], sampler: { maxSteps: 5000, stopGradNorm: 0 } }
    })
    await until('a frame from the first engine', () =>
      firstPort.received.find((m) => (m as EngineMessage).kind === 'event' && (m as { event: string }).event === 'frame')
    )
    const firstPid = processes[0].pid
    processes[0].kill()

    const secondPort = await until('a port to the restarted engine', () => windowPorts[1])
    const crashed = statuses.find((s) => s.state === 'crashed')!
    expect(crashed.reason).toMatch(/killed/)
    expect(statuses.map((s) => s.state)).toEqual(['starting', 'ready', 'crashed', 'starting', 'ready'])
    expect(statuses[statuses.length - 1]).toMatchObject({ restarts: 1 })
    expect(processes[1].pid).not.toBe(firstPid)

    secondPort.postMessage({
      kind: 'request',
      id: 2,
      method: 'generate',
      params: { jobId: 'after', modelId: 'quadratic', seed: 1, count: 1, conditions: [], sampler: { maxSteps: 3 } }
    })
    const reply = await until('the restarted engine to answer', () =>
      secondPort.received.find((m) => (m as EngineMessage).kind === 'response') as (EngineMessage & { ok: boolean }) | undefined
    )
    expect(reply.ok).toBe(true)
  })

  it('gives up on a crash loop and says so', async () => {
    const statuses: EngineStatus[] = []
    supervisor = new EngineSupervisor<FakePort>({
      fork: () => {
        const p = forkEngineHost({ modelRoots: [FIXTURE_MODELS] })
        p.child.once('spawn', () => p.kill())
        return p
      },
      createChannel: fakeChannel,
      deliverToWindow: () => undefined,
      notify: (status) => statuses.push(status),
      restartDelayMs: () => 5,
      maxRestarts: 2
    })
    supervisor.start()
    const failed = await until('failed state', () => statuses.find((s) => s.state === 'failed'))
    expect(failed.reason).toMatch(/gave up after 2 restarts/)
  })

  it('counts crashes in a row only: an engine that stayed healthy starts the count again', async () => {
    const statuses: EngineStatus[] = []
    const processes: ReturnType<typeof forkEngineHost>[] = []
    supervisor = new EngineSupervisor<FakePort>({
      fork: () => {
        const p = forkEngineHost({ modelRoots: [FIXTURE_MODELS] })
        processes.push(p)
        return p
      },
      createChannel: fakeChannel,
      deliverToWindow: () => undefined,
      notify: (status) => statuses.push(status),
      restartDelayMs: () => 5,
      maxRestarts: 2,
      healthyAfterMs: 200
    })
    supervisor.start()
    // three crashes, each after the engine was up longer than the healthy period: more than maxRestarts in all
    for (let crash = 1; crash <= 3; crash++) {
      await until(`ready #${crash}`, () => statuses.filter((s) => s.state === 'ready').length === crash)
      await new Promise((r) => setTimeout(r, 400))
      processes[crash - 1].kill()
    }
    const ready = await until('ready after the third crash', () => statuses.filter((s) => s.state === 'ready')[3])
    expect(ready.restarts).toBe(3)
    expect(statuses.some((s) => s.state === 'failed')).toBe(false)
  })
})
