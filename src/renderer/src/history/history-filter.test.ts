import { describe, expect, it } from 'vitest'
import type { GalleryItem } from '../store/studio-store'
import { matchesFilter, NO_FILTER, resultTool, type HistoryFilter } from './history-filter'

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']

function item(id: string, kind: GalleryItem['kind'], seed: number, conditions: { classIndex: number; weight: number }[], title: string): GalleryItem {
  return { id, kind, image: `${id}.png`, width: 28, height: 28, title, params: { modelId: 'fashion-mnist', seed, conditions }, steps: 10, gradNorm: 0.01, createdAt: 0 }
}

const ITEMS = [
  item('a', 'generate', 17, [{ classIndex: 7, weight: 1 }], 'Sneaker'),
  item('b', 'generate', 123456, [{ classIndex: 9, weight: 1 }, { classIndex: 7, weight: -0.6 }], 'Ankle boot ×1 − Sneaker ×0.6'),
  item('c', 'repair', 99, [], 'repair'),
  item('d', 'generate', 5, [{ classIndex: 5, weight: 1 }], 'Sandal')
]

const ids = (filter: Partial<HistoryFilter>) => ITEMS.filter((i) => matchesFilter(i, { ...NO_FILTER, ...filter }, CLASSES)).map((i) => i.id)

describe('history filter and search', () => {
  it('tells the tool that made a result: two or more classes are a composition', () => {
    expect(ITEMS.map(resultTool)).toEqual(['generate', 'compose', 'repair', 'generate'])
  })

  it('filters by tool and by class (either sign)', () => {
    expect(ids({})).toEqual(['a', 'b', 'c', 'd'])
    expect(ids({ tool: 'compose' })).toEqual(['b'])
    expect(ids({ tool: 'repair' })).toEqual(['c'])
    expect(ids({ classIndex: 7 })).toEqual(['a', 'b'])
    expect(ids({ tool: 'generate', classIndex: 7 })).toEqual(['a'])
  })

  it('searches seeds, weights, class and model names, every word at once', () => {
    expect(ids({ query: '123456' })).toEqual(['b'])
    expect(ids({ query: 'seed:17' })).toEqual(['a'])
    expect(ids({ query: 'seed:1' })).toEqual([])
    expect(ids({ query: '-0.6' })).toEqual(['b'])
    expect(ids({ query: 'weight:−0.6' })).toEqual(['b'])
    expect(ids({ query: 'ankle' })).toEqual(['b'])
    expect(ids({ query: 'class:sneaker' })).toEqual(['a', 'b'])
    expect(ids({ query: 'sneaker 17' })).toEqual(['a'])
    expect(ids({ query: 'model:fashion' })).toEqual(['a', 'b', 'c', 'd'])
    expect(ids({ query: 'model:cifar' })).toEqual([])
  })
})
