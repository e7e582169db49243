import { describe, expect, it } from 'vitest'
import {
  canAddRow,
  canRemoveRow,
  clampWeight,
  comparisonPlan,
  compositionSignature,
  defaultRows,
  describeComposition,
  nextUnusedClass,
  toConditions,
  validateComposition,
  type ComposeRow
} from './compose-logic'

const CLASSES = ['dark', 'mid', 'light', 'stripes']
const row = (classIndex: number, weight: number, key = classIndex): ComposeRow => ({ key, classIndex, weight })

describe('compose rows', () => {
  it('starts with the first two classes at weight 1', () => {
    let k = 0
    expect(defaultRows(4, () => ++k)).toEqual([row(0, 1, 1), row(1, 1, 2)])
    expect(defaultRows(1, () => ++k)).toHaveLength(1)
  })

  it('adds the first unused class and stops when every class is in', () => {
    expect(nextUnusedClass([row(0, 1), row(2, 1)], 4)).toBe(1)
    expect(nextUnusedClass([row(0, 1), row(1, 1), row(2, 1), row(3, 1)], 4)).toBeNull()
    expect(canAddRow([row(0, 1), row(1, 1)], 4)).toBe(true)
    expect(canAddRow([row(0, 1), row(1, 1)], 2)).toBe(false)
  })

  it('keeps at least two rows', () => {
    expect(canRemoveRow([row(0, 1), row(1, 1)])).toBe(false)
    expect(canRemoveRow([row(0, 1), row(1, 1), row(2, 1)])).toBe(true)
  })

  it('clamps weights to [-2, 2] in hundredths', () => {
    expect(clampWeight(3)).toBe(2)
    expect(clampWeight(-7)).toBe(-2)
    expect(clampWeight(0.123)).toBe(0.12)
    expect(clampWeight(Number.NaN)).toBe(0)
  })
})

describe('validation', () => {
  it('accepts two or more distinct classes, negative weights included', () => {
    expect(validateComposition([row(0, 1), row(2, -0.5)], CLASSES)).toBeNull()
    expect(validateComposition([row(0, 1), row(1, 1), row(3, 0.3)], CLASSES)).toBeNull()
  })

  it('says what is wrong', () => {
    expect(validateComposition([row(0, 1)], CLASSES)).toMatch(/at least two/)
    expect(validateComposition([row(1, 1), row(1, 0.5, 9)], CLASSES)).toMatch(/mid is listed twice/)
    expect(validateComposition([row(0, 1), row(7, 1)], CLASSES)).toMatch(/Row 2 has no valid class/)
    expect(validateComposition([row(0, 1), row(1, 0)], CLASSES)).toMatch(/non-zero weight/)
    expect(validateComposition([row(0, 1), row(1, 2.5)], CLASSES)).toMatch(/between -2 and 2/)
  })
})

describe('conditions and wording', () => {
  it('sends every row as a condition', () => {
    expect(toConditions([row(0, 1), row(2, -0.5)])).toEqual([
      { classIndex: 0, weight: 1 },
      { classIndex: 2, weight: -0.5 }
    ])
  })

  it('writes the composition as a formula', () => {
    expect(describeComposition([{ classIndex: 0, weight: 1 }, { classIndex: 2, weight: 0.6 }], CLASSES)).toBe('dark ×1 + light ×0.6')
    expect(describeComposition([{ classIndex: 3, weight: -1 }, { classIndex: 1, weight: -0.25 }], CLASSES)).toBe('−stripes ×1 − mid ×0.25')
  })

  it('plans each non-zero class alone, then the composition', () => {
    const plan = comparisonPlan([row(0, 1), row(2, 0.5), row(3, 0)], CLASSES)
    expect(plan.map((p) => p.label)).toEqual(['dark alone', 'light alone', 'dark ×1 + light ×0.5 + stripes ×0'])
    expect(plan[1].conditions).toEqual([{ classIndex: 2, weight: 1 }])
    expect(plan[2].kind).toBe('composition')
    expect(plan[2].conditions).toHaveLength(3)
  })

  it('changes its signature when a weight, class or extra setting changes', () => {
    const base = compositionSignature([row(0, 1), row(1, 1)], { cfg: 1 })
    expect(compositionSignature([row(0, 1, 5), row(1, 1, 6)], { cfg: 1 })).toBe(base)
    expect(compositionSignature([row(0, 1), row(1, 0.9)], { cfg: 1 })).not.toBe(base)
    expect(compositionSignature([row(0, 1), row(2, 1)], { cfg: 1 })).not.toBe(base)
    expect(compositionSignature([row(0, 1), row(1, 1)], { cfg: 2 })).not.toBe(base)
  })
})
