import { describe, expect, it } from 'vitest'
import { AnalyticField, constantMean } from '../../test/support/analytic-field'
import { SeededRandom } from './rng'
import { RowPacker } from './row-packer'
import { descend } from './sampler'

const SIZE = 16
const means = [constantMean(SIZE, 0.5), constantMean(SIZE, -0.5), constantMean(SIZE, 0)]
const settings = { method: 'nag' as const, stepSize: 0.1, mu: 0.3, maxSteps: 12, stopGradNorm: 0.05, cfg: 2 }
const start = (seed: number, count: number) => Array.from({ length: count }, (_, i) => ({ x: new SeededRandom(seed * 100 + i).fillNormal(new Float32Array(SIZE)) }))

describe('row packing', () => {
  it('packs concurrent descents into shared calls with the same results as alone', async () => {
    const jobs = [
      { seed: 1, count: 2, classIndex: 0 },
      { seed: 2, count: 1, classIndex: 1 },
      { seed: 3, count: 3, classIndex: 0 }
    ]
    const alone = new AnalyticField(means, 2)
    const expected: { samples: { x: Float32Array }[]; outcomes: Awaited<ReturnType<typeof descend>> }[] = []
    for (const job of jobs) {
      const samples = start(job.seed, job.count)
      const outcomes = await descend(alone, samples, { ...settings, conditions: [{ classIndex: job.classIndex, weight: 1 }] })
      expected.push({ samples, outcomes })
    }
    const shared = new AnalyticField(means, 2, 64)
    const packer = new RowPacker(shared)
    const results = await Promise.all(
      jobs.map(async (job) => {
        const view = packer.open()
        try {
          const samples = start(job.seed, job.count)
          const outcomes = await descend(view, samples, { ...settings, conditions: [{ classIndex: job.classIndex, weight: 1 }] })
          return { samples, outcomes }
        } finally {
          view.close()
        }
      })
    )
    results.forEach((r, j) => {
      expect(r.outcomes).toEqual(expected[j].outcomes)
      r.samples.forEach((s, i) => expect(Array.from(s.x)).toEqual(Array.from(expected[j].samples[i].x)))
    })
    expect(shared.rowsEvaluated).toBe(alone.rowsEvaluated)
    expect(shared.calls).toBeLessThan(alone.calls / 2)
    expect(packer.stats.sharedCalls).toBeGreaterThan(0)
  })

  it('serves jobs in turn when their rows do not fit one call', async () => {
    // 4 rows per call and every request is 4 rows: one job per call, all asking again at once
    const field = new AnalyticField(means, 2, 4)
    const packer = new RowPacker(field)
    const order: number[] = []
    const views = [0, 1, 2].map(() => packer.open())
    await Promise.all(
      views.map(async (view, v) => {
        for (let round = 0; round < 3; round++) {
          await view.evaluate(new Float32Array(4 * SIZE), Int32Array.of(2, 0, 2, 0), 4)
          order.push(v)
        }
        view.close()
      })
    )
    expect(field.calls).toBe(9)
    // no job is served twice before every other waiting job has been served once
    for (let i = 0; i + 3 <= order.length; i += 3) expect(new Set(order.slice(i, i + 3)).size).toBe(3)
  })
})
