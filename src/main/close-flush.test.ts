import { afterEach, describe, expect, it, vi } from 'vitest'
import { CloseFlush } from './close-flush'

afterEach(() => vi.useRealTimers())

describe('CloseFlush: the window saves before it closes', () => {
  it('resolves when the window answers its request, and not before', async () => {
    const flush = new CloseFlush()
    const sent: number[] = []
    let outcome: string | null = null
    const closing = flush.request((request) => sent.push(request), 60_000).then((o) => (outcome = o))
    await Promise.resolve()
    expect(sent).toHaveLength(1)
    expect(outcome).toBeNull()
    expect(flush.pending).toBe(true)
    expect(flush.acknowledge(sent[0])).toBe(true)
    await closing
    expect(outcome).toBe('saved')
    expect(flush.pending).toBe(false)
  })

  it('closes anyway after the timeout when the page never answers (hung or crashed)', async () => {
    vi.useFakeTimers()
    const flush = new CloseFlush()
    let request = 0
    const closing = flush.request((r) => (request = r), 3000)
    vi.advanceTimersByTime(2999)
    expect(flush.pending).toBe(true)
    vi.advanceTimersByTime(1)
    await expect(closing).resolves.toBe('timed-out')
    // a late answer is refused, not taken for a later close's
    expect(flush.acknowledge(request)).toBe(false)
  })

  it('refuses answers to requests it never sent, and numbers each request anew', async () => {
    const flush = new CloseFlush()
    const sent: number[] = []
    const first = flush.request((r) => sent.push(r), 60_000)
    const second = flush.request((r) => sent.push(r), 60_000)
    expect(new Set(sent).size).toBe(2)
    expect(flush.acknowledge(Math.max(...sent) + 1)).toBe(false)
    expect(flush.acknowledge(sent[1])).toBe(true)
    await expect(second).resolves.toBe('saved')
    expect(flush.pending).toBe(true)
    expect(flush.acknowledge(sent[0])).toBe(true)
    await expect(first).resolves.toBe('saved')
  })

  it('does not wait for a window that is already gone', async () => {
    const flush = new CloseFlush()
    const closing = flush.request(() => {
      throw new Error('Object has been destroyed')
    }, 60_000)
    await expect(closing).resolves.toBe('no-window')
    expect(flush.pending).toBe(false)
  })
})
