import { describe, expect, it } from 'vitest'
import { conditionsFileStem, describeConditions } from './condition-format'

const CLASSES = ['T-shirt/top', 'Trouser', 'Sandal', 'Sneaker', 'Ankle boot']

describe('condition format', () => {
  it('writes one class, none, and a composition with each weight and sign', () => {
    expect(describeConditions([{ classIndex: 3, weight: 1 }], CLASSES)).toBe('Sneaker')
    expect(describeConditions([], CLASSES)).toBe('unconditional')
    expect(describeConditions([{ classIndex: 4, weight: 1 }, { classIndex: 3, weight: -0.6 }], CLASSES)).toBe('Ankle boot ×1 − Sneaker ×0.6')
    expect(describeConditions([{ classIndex: 4, weight: -1 }, { classIndex: 3, weight: 0.25 }], CLASSES)).toBe('−Ankle boot ×1 + Sneaker ×0.25')
    // a file's own class names win over the current model's
    expect(describeConditions([{ classIndex: 0, weight: 1, className: 'dark' }, { classIndex: 1, weight: 2 }], CLASSES)).toBe('dark ×1 + Trouser ×2')
  })

  it('keeps the minus in file names', () => {
    expect(conditionsFileStem([{ classIndex: 4, weight: 1 }, { classIndex: 3, weight: -0.6 }], CLASSES)).toBe('Ankle-boot-x1-minus-Sneaker-x0.6')
    expect(conditionsFileStem([{ classIndex: 0, weight: 1 }], CLASSES)).toBe('T-shirt-top')
  })
})
