import { describe, expect, it } from 'vitest'
import {
  cdfAt,
  datasetName,
  chartAxis,
  chunk,
  describePercentile,
  filterEntries,
  formatScore,
  histogramFromQuantiles,
  niceTicks,
  normaliseQuantiles,
  ordinal,
  scoreInBatches,
  sortEntries,
  summarize,
  type OodEntry
} from './ood-logic'

// the quadratic test field's calibration (test/fixtures/models/quadratic/manifest.json)
const FIXTURE: [number, number][] = [
  [0, 0],
  [0.5, 0.1],
  [0.95, 0.3],
  [1, 0.5]
]

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

describe('quantile CDF', () => {
  it('interpolates linearly between knots like the engine percentile', () => {
    const knots = normaliseQuantiles(FIXTURE)
    expect(cdfAt(0, knots)).toBe(0)
    expect(cdfAt(0.05, knots)).toBeCloseTo(0.25)
    expect(cdfAt(0.1, knots)).toBeCloseTo(0.5)
    expect(cdfAt(0.2, knots)).toBeCloseTo(0.725)
    expect(cdfAt(0.4, knots)).toBeCloseTo(0.975)
    expect(cdfAt(9, knots)).toBe(1)
    expect(cdfAt(-1, knots)).toBe(0)
  })

  it('accepts knots in any order and refuses non-monotonic tables', () => {
    expect(normaliseQuantiles([FIXTURE[2], FIXTURE[0], FIXTURE[3], FIXTURE[1]])).toEqual(FIXTURE)
    expect(() => normaliseQuantiles([[0.9, 0.1], [0.1, 0.2]])).toThrow(/monotonic/)
    expect(() => normaliseQuantiles([[0.5, 0.1]])).toThrow(/two quantiles/)
  })
})

describe('histogram from quantiles', () => {
  it('puts each segment’s mass into its bins', () => {
    // bins of 0.1 over [0, 0.5]: 0.5 in the first, 0.45/2 in each of the next two, 0.05/2 in the last two
    const h = histogramFromQuantiles(FIXTURE, 0, 0.5, 5)
    expect(h.edges.map((e) => Number(e.toFixed(6)))).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    expect(h.mass[0]).toBeCloseTo(0.5)
    expect(h.mass[1]).toBeCloseTo(0.225)
    expect(h.mass[2]).toBeCloseTo(0.225)
    expect(h.mass[3]).toBeCloseTo(0.025)
    expect(h.mass[4]).toBeCloseTo(0.025)
    expect(sum(h.mass)).toBeCloseTo(1)
    expect(h.density[0]).toBeCloseTo(5)
    expect(h.covered).toBe(1)
  })

  it('keeps the total mass when the axis is wider than the table', () => {
    const h = histogramFromQuantiles(FIXTURE, -0.2, 1.2, 70)
    expect(sum(h.mass)).toBeCloseTo(1)
    // nothing below the first knot or above the last
    expect(h.mass[0]).toBe(0)
    expect(h.mass[69]).toBe(0)
  })

  it('puts a point mass (repeated value) into one bin', () => {
    const h = histogramFromQuantiles(
      [
        [0, 0],
        [0.2, 0.25],
        [0.7, 0.25],
        [1, 1]
      ],
      0,
      1,
      4
    )
    // [0, .25] holds 0.2 of spread mass plus the 0.5 step at 0.25
    expect(h.mass[0]).toBeCloseTo(0.7)
    expect(sum(h.mass)).toBeCloseTo(1)
  })

  it('counts a point mass at the first knot when the axis starts there', () => {
    const h = histogramFromQuantiles(
      [
        [0, 0.1],
        [0.5, 0.1],
        [1, 0.3]
      ],
      0.1,
      0.3,
      2
    )
    expect(h.mass[0]).toBeCloseTo(0.75)
    expect(sum(h.mass)).toBeCloseTo(1)
  })

  it('reports the share a partial table covers', () => {
    expect(histogramFromQuantiles([[0.05, 1], [0.95, 2]], 0, 3, 6).covered).toBeCloseTo(0.9)
  })

  it('refuses a bad range', () => {
    expect(() => histogramFromQuantiles(FIXTURE, 1, 1, 4)).toThrow()
    expect(() => histogramFromQuantiles(FIXTURE, 0, 1, 0)).toThrow()
  })
})

describe('chart axis', () => {
  it('spans the calibration up to its 99th percentile when no image is scored', () => {
    // FIXTURE's last knot (q = 1, the single most extreme calibration image) is left off
    const axis = chartAxis(FIXTURE, 0.3, [])
    expect(axis.lo).toBe(0)
    expect(axis.hi).toBeGreaterThan(0.3)
    expect(axis.hi).toBeLessThan(0.35)
    expect(axis.offScale).toBe(0)
    // a table with a huge top knot keeps the body readable
    const heavy: [number, number][] = [[0, 0.3], [0.5, 3], [0.95, 15], [0.99, 58], [1, 430]]
    expect(chartAxis(heavy, 15, []).hi).toBeLessThan(70)
    // a table with nothing below the cut still draws
    expect(chartAxis([[0.995, 1], [1, 2]], null, []).hi).toBeGreaterThan(2)
  })

  it('widens for imported scores up to a limit, and counts those beyond it', () => {
    const near = chartAxis(FIXTURE, 0.3, [0.4])
    expect(near.hi).toBeGreaterThan(0.4)
    expect(near.offScale).toBe(0)
    const far = chartAxis(FIXTURE, 0.3, [0.4, 40, 90])
    expect(far.hi).toBeCloseTo(0.3 + 0.5 * 0.3)
    expect(far.offScale).toBe(2)
    expect(chartAxis(FIXTURE, 0.3, [-0.2]).lo).toBe(-0.2)
  })

  it('uses the scores alone without calibration', () => {
    const axis = chartAxis(null, null, [2, 5])
    expect(axis.lo).toBe(0)
    expect(axis.hi).toBeGreaterThan(5)
    expect(chartAxis(null, null, [])).toEqual({ lo: 0, hi: 1, offScale: 0 })
  })
})

function entry(order: number, patch: Partial<OodEntry>): OodEntry {
  return { id: `e${order}`, name: `img-${order}.png`, order, status: 'done', ...patch }
}

const ENTRIES: OodEntry[] = [
  entry(0, { score: 0.2, flagged: false, percentile: 0.7 }),
  entry(1, { status: 'error', error: 'not an image' }),
  entry(2, { score: 0.9, flagged: true, percentile: 1 }),
  entry(3, { status: 'scoring' }),
  entry(4, { score: 0.05, flagged: false, percentile: 0.25, name: 'img-10.png' }),
  entry(5, { score: 0.9, flagged: true, percentile: 1 })
]

describe('sorting and filtering', () => {
  it('sorts by score both ways with unscored entries last, ties by import order', () => {
    expect(sortEntries(ENTRIES, 'score-desc').map((e) => e.order)).toEqual([2, 5, 0, 4, 1, 3])
    expect(sortEntries(ENTRIES, 'score-asc').map((e) => e.order)).toEqual([4, 0, 2, 5, 1, 3])
    expect(sortEntries([...ENTRIES].reverse(), 'import').map((e) => e.order)).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('sorts names numerically', () => {
    expect(sortEntries(ENTRIES, 'name').map((e) => e.name)).toEqual(['img-0.png', 'img-1.png', 'img-2.png', 'img-3.png', 'img-5.png', 'img-10.png'])
  })

  it('filters flagged, passed and errors', () => {
    expect(filterEntries(ENTRIES, 'all')).toHaveLength(6)
    expect(filterEntries(ENTRIES, 'flagged').map((e) => e.order)).toEqual([2, 5])
    expect(filterEntries(ENTRIES, 'passed').map((e) => e.order)).toEqual([0, 4])
    expect(filterEntries(ENTRIES, 'errors').map((e) => e.order)).toEqual([1])
    // uncalibrated scores are neither flagged nor passed
    expect(filterEntries([entry(0, { score: 1, flagged: null })], 'flagged')).toHaveLength(0)
    expect(filterEntries([entry(0, { score: 1, flagged: null })], 'passed')).toHaveLength(0)
  })

  it('summarizes', () => {
    expect(summarize([...ENTRIES, entry(6, { score: 3, flagged: null })])).toEqual({ total: 7, scored: 5, flagged: 2, passed: 2, uncalibrated: 1, errors: 1, pending: 1 })
  })
})

describe('batching', () => {
  it('chunks', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]])
    expect(chunk([], 64)).toEqual([])
    expect(() => chunk([1], 0)).toThrow()
  })

  it('scores 64 per call and hands every result back in order', async () => {
    const items = Array.from({ length: 150 }, (_, i) => i)
    const calls: number[] = []
    const seen: number[] = []
    await scoreInBatches(
      items,
      64,
      async (batch) => {
        calls.push(batch.length)
        return batch.map((i) => i * 2)
      },
      (batch, results) => results.forEach((r, k) => r.ok && seen.push(r.value - batch[k]))
    )
    expect(calls).toEqual([64, 64, 22])
    expect(seen).toEqual(items)
  })

  it('isolates a bad item by retrying its batch one by one', async () => {
    const outcomes = new Map<number, string>()
    let calls = 0
    await scoreInBatches(
      [1, 2, 3, 4, 5],
      4,
      async (batch) => {
        calls++
        if (batch.includes(3)) throw new Error('image 3 is invalid')
        return batch.map((i) => i * 10)
      },
      (batch, results) => batch.forEach((item, k) => outcomes.set(item, results[k].ok ? `ok ${(results[k] as { value: number }).value}` : `error ${(results[k] as { error: string }).error}`))
    )
    expect(outcomes.get(1)).toBe('ok 10')
    expect(outcomes.get(3)).toBe('error image 3 is invalid')
    expect(outcomes.get(4)).toBe('ok 40')
    expect(outcomes.get(5)).toBe('ok 50')
    // one failed batch of 4, four single retries, one batch of 1
    expect(calls).toBe(6)
  })

  it('treats a short answer as a failed batch and retries its items alone', async () => {
    const values: number[] = []
    await scoreInBatches([1, 2], 2, async (batch) => (batch.length === 2 ? [1] : [batch[0] * 7]), (_b, results) => results.forEach((r) => values.push(r.ok ? r.value : -1)))
    expect(values).toEqual([7, 14])
  })

  it('stops between batches when asked', async () => {
    let calls = 0
    let stop = false
    await scoreInBatches(
      [1, 2, 3, 4],
      1,
      async (batch) => {
        calls++
        if (calls === 2) stop = true
        return batch
      },
      () => {},
      () => stop
    )
    expect(calls).toBe(2)
  })
})

describe('wording', () => {
  it('describes percentiles', () => {
    expect(describePercentile(0.5)).toBe('higher than 50% of real images')
    expect(describePercentile(0.995)).toBe('higher than 99.5% of real images')
    expect(describePercentile(1)).toBe('higher than every calibration image')
    expect(describePercentile(0)).toBe('lower than every calibration image')
    expect(describePercentile(null)).toBe('no calibration to compare with')
  })

  it('formats ordinals, scores and ticks', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st'])
    expect(formatScore(0.123456)).toBe('0.123')
    expect(formatScore(0.00001234)).toBe('1.23e-5')
    expect(formatScore(undefined)).toBe('–')
    expect(niceTicks(0, 0.55, 5)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    expect(niceTicks(0, 1.25, 3)).toEqual([0, 0.5, 1])
  })
})

describe('dataset name', () => {
  it('uses a short provenance name, else the title without its parenthetical', () => {
    expect(datasetName({ dataset: 'Fashion-MNIST' }, 'x')).toBe('Fashion-MNIST')
    expect(datasetName({ data: 'dataset-fashion-mnist (Debian), 60000 train images' }, 'Fashion-MNIST (EqM conv U-Net)')).toBe('Fashion-MNIST')
    expect(datasetName({ data: 'analytic' }, 'Test field: quadratic')).toBe('Test field: quadratic')
    expect(datasetName({}, '(odd)')).toBe('(odd)')
  })
})
