/**
 * The OOD check's pure logic: the in-distribution score histogram derived from the
 * manifest's quantile table, the chart's axis, sorting, filtering, batching and the
 * plain-words wording. No DOM, no engine: unit-tested in ood-logic.test.ts.
 */
import { OOD_SCORE } from '../../../shared/settings'
import type { OodResult } from '../../../shared/jobs'

export type Quantiles = readonly (readonly [number, number])[]

export interface OodEntry {
  id: string
  /** the file's name (or its path inside an imported folder) */
  name: string
  /** import order, for the "as imported" sort */
  order: number
  status: 'pending' | 'scoring' | 'done' | 'error'
  error?: string
  /** the model-space image as a PNG data URL (what the model saw) */
  thumb?: string
  /** size of the file before conversion */
  original?: { width: number; height: number }
  score?: number
  /** null when the model has no calibration */
  flagged?: boolean | null
  percentile?: number | null
  /** the class the score measured the image against, found by the model itself (per-class scores only) */
  comparedWithClass?: number
  /** where the orientation check raised the score: the copy that looked more typical, and by what factor */
  orientation?: OodResult['orientation']
  /** where the contrast check raised the score: the image stretched to full contrast looked more typical, by this factor */
  contrast?: OodResult['contrast']
  /** where the centring check raised the score: the image moved to the centre looked more typical, by this factor */
  centring?: OodResult['centring']
}

export type SortKey = 'import' | 'score-desc' | 'score-asc' | 'name'
export type FilterKey = 'all' | 'flagged' | 'passed' | 'errors'

/** Knots sorted by value, duplicates (same q) removed, q non-decreasing. Throws on an unusable table. */
export function normaliseQuantiles(quantiles: Quantiles): [number, number][] {
  const knots = quantiles.filter(([q, v]) => Number.isFinite(q) && Number.isFinite(v)).map(([q, v]) => [q, v] as [number, number])
  knots.sort((a, b) => a[1] - b[1] || a[0] - b[0])
  if (knots.length < 2) throw new Error('the calibration needs at least two quantiles')
  for (let i = 1; i < knots.length; i++) {
    if (knots[i][0] < knots[i - 1][0]) throw new Error('the calibration quantiles are not monotonic (a higher score has a lower quantile)')
  }
  return knots
}

/**
 * Share of in-distribution scores at or below `value`: the piecewise-linear CDF through the
 * quantile knots, the same interpolation the engine uses for its percentile. Below the
 * first knot it is that knot's q, above the last the last knot's q (the table says nothing
 * about the tails beyond it).
 */
export function cdfAt(value: number, knots: [number, number][]): number {
  if (value < knots[0][1]) return knots[0][0]
  const last = knots[knots.length - 1]
  if (value >= last[1]) return last[0]
  for (let i = 1; i < knots.length; i++) {
    const [q0, v0] = knots[i - 1]
    const [q1, v1] = knots[i]
    if (value < v1) return v1 === v0 ? q1 : q0 + ((value - v0) / (v1 - v0)) * (q1 - q0)
  }
  return last[0]
}

export interface Histogram {
  /** bin edges: bins + 1 values */
  edges: number[]
  /** share of in-distribution images in each bin (sums to the table's covered mass) */
  mass: number[]
  /** mass / bin width: what the bar heights show */
  density: number[]
  /** the share of in-distribution scores the table covers (last q - first q) */
  covered: number
}

/**
 * The in-distribution score distribution as a histogram over [lo, hi]: each bin gets
 * CDF(right edge) - CDF(left edge). Knots with equal values (a point mass) put their whole
 * step into the bin that holds that value. Mass below lo is not drawn (the axis starts at
 * or below the first knot).
 */
export function histogramFromQuantiles(quantiles: Quantiles, lo: number, hi: number, bins: number): Histogram {
  if (!(hi > lo)) throw new Error('the histogram range must have hi > lo')
  if (!Number.isInteger(bins) || bins < 1) throw new Error('the histogram needs at least one bin')
  const knots = normaliseQuantiles(quantiles)
  const width = (hi - lo) / bins
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width))
  const mass = new Array<number>(bins).fill(0)
  for (let b = 0; b < bins; b++) {
    // the CDF is right-continuous: a bin holds (left, right], so a point mass at hi is counted
    // (a point mass at the first knot belongs to the first bin when the axis starts there)
    const left = b === 0 && lo <= knots[0][1] ? knots[0][0] : cdfAt(edges[b], knots)
    mass[b] = Math.max(0, cdfAt(edges[b + 1], knots) - left)
  }
  return { edges, mass, density: mass.map((m) => m / width), covered: knots[knots.length - 1][0] - knots[0][0] }
}

export interface Axis {
  lo: number
  hi: number
  /** imported scores beyond hi, drawn at the right edge as off-scale */
  offScale: number
}

/** Quantiles above this are the table's extreme tail: not stretched to on the chart's axis. */
export const AXIS_TOP_QUANTILE = 0.99

/**
 * The chart's x range: the calibration's range (knots up to the 99th percentile, and the
 * threshold), widened to show the imported scores, but at most `maxStretch` times the
 * calibrated span to the right, so neither the calibration set's single most extreme image
 * nor one huge imported score squashes the in-distribution histogram to a sliver.
 */
export function chartAxis(knots: Quantiles | null, threshold: number | null, scores: number[], maxStretch = 0.5): Axis {
  const finite = scores.filter(Number.isFinite)
  const base: number[] = []
  if (knots && knots.length) {
    const body = knots.filter(([q]) => q <= AXIS_TOP_QUANTILE)
    for (const [, v] of body.length >= 2 ? body : knots) base.push(v)
  }
  if (threshold !== null && Number.isFinite(threshold)) base.push(threshold)
  if (base.length === 0) {
    if (finite.length === 0) return { lo: 0, hi: 1, offScale: 0 }
    const lo = Math.min(0, ...finite)
    const hi = Math.max(...finite)
    return { lo, hi: hi > lo ? hi * 1.05 : lo + 1, offScale: 0 }
  }
  const baseLo = Math.min(...base)
  const baseHi = Math.max(...base)
  const span = baseHi - baseLo || Math.abs(baseHi) || 1
  const lo = Math.min(baseLo, ...finite)
  const limit = baseHi + maxStretch * span
  const wanted = Math.max(baseHi, ...finite)
  const hi = Math.min(limit, wanted > baseHi ? wanted + 0.04 * span : baseHi + 0.05 * span)
  return { lo, hi, offScale: finite.filter((s) => s > hi).length }
}

/** Sorted copy; errors and unscored entries always go last so a score sort starts with scores. */
export function sortEntries(entries: readonly OodEntry[], key: SortKey): OodEntry[] {
  const copy = [...entries]
  const scored = (e: OodEntry) => e.status === 'done' && e.score !== undefined
  copy.sort((a, b) => {
    if (key === 'import') return a.order - b.order
    if (key === 'name') return a.name.localeCompare(b.name, undefined, { numeric: true }) || a.order - b.order
    const sa = scored(a)
    const sb = scored(b)
    if (sa !== sb) return sa ? -1 : 1
    if (!sa) return a.order - b.order
    const d = key === 'score-desc' ? b.score! - a.score! : a.score! - b.score!
    return d || a.order - b.order
  })
  return copy
}

export function filterEntries(entries: readonly OodEntry[], key: FilterKey): OodEntry[] {
  switch (key) {
    case 'all':
      return [...entries]
    case 'flagged':
      return entries.filter((e) => e.status === 'done' && e.flagged === true)
    case 'passed':
      return entries.filter((e) => e.status === 'done' && e.flagged === false)
    case 'errors':
      return entries.filter((e) => e.status === 'error')
  }
}

export interface Summary {
  total: number
  scored: number
  flagged: number
  passed: number
  uncalibrated: number
  errors: number
  pending: number
}

export function summarize(entries: readonly OodEntry[]): Summary {
  const s: Summary = { total: entries.length, scored: 0, flagged: 0, passed: 0, uncalibrated: 0, errors: 0, pending: 0 }
  for (const e of entries) {
    if (e.status === 'error') s.errors++
    else if (e.status !== 'done') s.pending++
    else {
      s.scored++
      if (e.flagged === true) s.flagged++
      else if (e.flagged === false) s.passed++
      else s.uncalibrated++
    }
  }
  return s
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new Error('chunk size must be a positive integer')
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Scores items in batches of `size` through `score` (one engine call per batch). A batch
 * that fails is retried one item at a time, so one bad image costs only itself; each
 * item ends with either its result or its own error message.
 */
export async function scoreInBatches<T, R>(
  items: readonly T[],
  size: number,
  score: (batch: T[]) => Promise<R[]>,
  onBatch: (batch: T[], results: ({ ok: true; value: R } | { ok: false; error: string })[]) => void,
  shouldStop: () => boolean = () => false
): Promise<void> {
  for (const batch of chunk(items, size)) {
    if (shouldStop()) return
    try {
      const results = await score(batch)
      if (results.length !== batch.length) throw new Error(`the engine answered ${results.length} scores for ${batch.length} images`)
      onBatch(batch, results.map((value) => ({ ok: true as const, value })))
    } catch (error) {
      if (batch.length === 1) {
        onBatch(batch, [{ ok: false, error: (error as Error).message }])
        continue
      }
      const results: ({ ok: true; value: R } | { ok: false; error: string })[] = []
      for (const item of batch) {
        if (shouldStop()) return
        try {
          const [value] = await score([item])
          results.push({ ok: true, value })
        } catch (single) {
          results.push({ ok: false, error: (single as Error).message })
        }
      }
      onBatch(batch, results)
    }
  }
}

/** "99th", "3rd": ordinal wording for percentiles. */
export function ordinal(n: number): string {
  const mod100 = n % 100
  if (mod100 >= 11 && mod100 <= 13) return `${n}th`
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`
}

/** Where a score sits among real images, in words. */
export function describePercentile(percentile: number | null | undefined): string {
  if (percentile === null || percentile === undefined) return 'no calibration to compare with'
  const pct = percentile * 100
  if (pct >= 99.95) return 'higher than every calibration image'
  if (pct <= 0.05) return 'lower than every calibration image'
  const rounded = pct >= 99 || pct <= 1 ? Math.round(pct * 10) / 10 : Math.round(pct)
  return `higher than ${rounded}% of real images`
}

/** What a score kind measures, for the explanation (the settings module owns the words). */
export function describeScoreKind(kind: string): string {
  const choice = OOD_SCORE.choices.find((c) => c.value === kind)
  return choice ? choice.description : `the "${kind}" score from the model's calibration; higher means further from the training data.`
}

/** Formats a score with enough digits to tell close values apart. */
export function formatScore(score: number | undefined): string {
  if (score === undefined || !Number.isFinite(score)) return '–'
  const abs = Math.abs(score)
  if (abs !== 0 && (abs < 0.001 || abs >= 1e5)) return score.toExponential(2)
  return score.toPrecision(abs >= 100 ? 5 : 3)
}

/** About `count` round tick values inside [lo, hi] (1, 2 or 5 times a power of ten apart). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [lo]
  const raw = (hi - lo) / Math.max(1, count)
  const power = 10 ** Math.floor(Math.log10(raw))
  const candidates = [1, 2, 5, 10].map((m) => m * power)
  const step = candidates.reduce((best, s) => (Math.abs((hi - lo) / s - count) < Math.abs((hi - lo) / best - count) ? s : best))
  const ticks: number[] = []
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)))
  return ticks
}

/**
 * What to call the model's training data in sentences: a short provenance.dataset (or
 * .data) when it has one, else the model's title without its parenthetical
 * ("Fashion-MNIST (EqM conv U-Net)" -> "Fashion-MNIST").
 */
export function datasetName(provenance: Record<string, unknown>, title: string): string {
  for (const key of ['dataset', 'data']) {
    const value = provenance[key]
    if (typeof value === 'string' && value.trim() && value.trim().length <= 32 && value !== 'analytic') return value.trim()
  }
  const short = title.replace(/\s*\([^)]*\)\s*$/, '').trim()
  return short || title
}
