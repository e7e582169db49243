import { afterEach, describe, expect, it, vi } from 'vitest'
import type { JobResult } from '../../../shared/jobs'
import { createStudioStore } from '../store/studio-store'
import { acceptResults, galleryEntries } from '../store/job-actions'
import { clearHistory, removeResults, undoRemoval } from './history-actions'

function job(jobId: string, seeds: number[]): JobResult {
  return {
    jobId,
    kind: 'generate',
    modelId: 'fashion-mnist',
    images: seeds.map((seed) => ({ png: '', width: 28, height: 28, seed, steps: 19, gradNorm: 0.1, stopped: 'max-steps' as const })),
    params: { kind: 'generate', modelId: 'fashion-mnist', conditions: [{ classIndex: 0, weight: 1 }], sampler: { method: 'clock', stepSize: 0.02, mu: 0.3, maxSteps: 19, stopGradNorm: 0.15, cfg: 2 }, seed: seeds[0] },
    evaluations: 37,
    elapsedMs: 1
  }
}

afterEach(() => vi.restoreAllMocks())

describe('the order of the history', () => {
  it("a job's images share one creation time, even when a millisecond passes between them", () => {
    let now = 1_000
    vi.spyOn(Date, 'now').mockImplementation(() => now++)
    const entries = galleryEntries(job('a', [10, 11, 12]), ['r0', 'r1', 'r2'], ['T-shirt'])
    expect(new Set(entries.map((e) => e.createdAt)).size).toBe(1)
  })

  it('undoing a clear brings the results back in the order they were shown', () => {
    let now = 5_000
    vi.spyOn(Date, 'now').mockImplementation(() => now++)
    const store = createStudioStore()
    acceptResults(store, galleryEntries(job('first', [10, 11, 12]), ['a0', 'a1', 'a2'], ['T-shirt']))
    acceptResults(store, galleryEntries(job('second', [20, 21]), ['b0', 'b1'], ['T-shirt']))
    removeResults(store, new Set(['first-1']), 'Deleted 1 result')
    const shown = store.getState().gallery.map((item) => item.params.seed)
    expect(shown).toEqual([20, 21, 10, 12])
    clearHistory(store)
    expect(store.getState().gallery).toHaveLength(0)
    undoRemoval(store)
    expect(store.getState().gallery.map((item) => item.params.seed)).toEqual(shown)
  })
})
