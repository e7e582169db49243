/**
 * Composition's pure logic: rows of (class, weight), their validation, the conditions sent
 * to the engine (energies add: f = f_u + cfg * sum_k w_k (f_ck - f_u)), their wording, and
 * the plan for "compare with each single class". Unit-tested in compose-logic.test.ts.
 */
import type { Condition } from '../../../shared/jobs'
import { COMPOSE } from '../../../shared/settings'
import { describeConditions } from '../../../shared/condition-format'

export interface ComposeRow {
  /** stable React key */
  key: number
  classIndex: number
  weight: number
}

/** A class weight's bounds and the most classes per job: src/shared/settings.ts owns them. */
export const WEIGHT_MIN = COMPOSE.weight.min
export const WEIGHT_MAX = COMPOSE.weight.max
export const MAX_ROWS = COMPOSE.maxClasses.max

export function clampWeight(weight: number): number {
  if (!Number.isFinite(weight)) return 0
  return Math.min(WEIGHT_MAX, Math.max(WEIGHT_MIN, Math.round(weight * 100) / 100))
}

/** Two rows to start with: the first two classes at weight 1. */
export function defaultRows(classCount: number, nextKey: () => number, weight = 1): ComposeRow[] {
  return Array.from({ length: Math.min(2, classCount) }, (_, i) => ({ key: nextKey(), classIndex: i, weight }))
}

/** A new row takes the first class not yet used (or null when every class is in). */
export function nextUnusedClass(rows: readonly ComposeRow[], classCount: number): number | null {
  const used = new Set(rows.map((r) => r.classIndex))
  for (let i = 0; i < classCount; i++) if (!used.has(i)) return i
  return null
}

export function canAddRow(rows: readonly ComposeRow[], classCount: number): boolean {
  return rows.length < MAX_ROWS && nextUnusedClass(rows, classCount) !== null
}

export function canRemoveRow(rows: readonly ComposeRow[]): boolean {
  return rows.length > 2
}

/** Why the composition cannot run, in words, or null when it can. */
export function validateComposition(rows: readonly ComposeRow[], classes: readonly string[]): string | null {
  if (rows.length < 2) return 'Pick at least two classes to compose.'
  if (rows.length > MAX_ROWS) return `At most ${MAX_ROWS} classes can be composed at once.`
  const seen = new Set<number>()
  for (const row of rows) {
    if (!Number.isInteger(row.classIndex) || row.classIndex < 0 || row.classIndex >= classes.length) return `Row ${rows.indexOf(row) + 1} has no valid class.`
    if (seen.has(row.classIndex)) return `${classes[row.classIndex]} is listed twice; use one row with the combined weight.`
    seen.add(row.classIndex)
    if (!Number.isFinite(row.weight) || row.weight < WEIGHT_MIN || row.weight > WEIGHT_MAX) return `The weight of ${classes[row.classIndex]} must be between ${WEIGHT_MIN} and ${WEIGHT_MAX}.`
  }
  if (rows.filter((r) => r.weight !== 0).length < 2) return 'At least two classes need a non-zero weight; a weight of 0 leaves a class out.'
  return null
}

export function toConditions(rows: readonly ComposeRow[]): Condition[] {
  return rows.map((r) => ({ classIndex: r.classIndex, weight: r.weight }))
}

/** "Sneaker ×1 + Sandal ×0.6 − Bag ×0.5": the composition as a formula (the one condition formatter). */
export const describeComposition = describeConditions

export interface ComparisonCellPlan {
  kind: 'single' | 'composition'
  label: string
  conditions: Condition[]
}

/**
 * Each class of the composition alone (weight 1, plain class-conditional), then the
 * composition itself: run with one seed, so the only difference is the conditioning.
 * Rows with weight 0 are left out of the singles: they take no part in the composition.
 */
export function comparisonPlan(rows: readonly ComposeRow[], classes: readonly string[]): ComparisonCellPlan[] {
  const singles: ComparisonCellPlan[] = rows
    .filter((r) => r.weight !== 0)
    .map((r) => ({ kind: 'single', label: `${classes[r.classIndex]} alone`, conditions: [{ classIndex: r.classIndex, weight: 1 }] }))
  const conditions = toConditions(rows)
  return [...singles, { kind: 'composition', label: describeComposition(conditions, classes), conditions }]
}

/** Identifies the settings a comparison was made with, to tell when it went stale. */
export function compositionSignature(rows: readonly ComposeRow[], extra: unknown): string {
  return JSON.stringify([rows.map((r) => [r.classIndex, r.weight]), extra])
}
