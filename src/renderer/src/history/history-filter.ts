import type { GalleryItem } from '../store/studio-store'

/** What made a result, as the history's tool filter names it: a generation of two or more classes is a composition. */
export type ResultTool = 'generate' | 'compose' | 'repair'
export const RESULT_TOOLS: readonly ResultTool[] = ['generate', 'compose', 'repair']

export interface HistoryFilter {
  tool: ResultTool | 'all'
  /** a class the result was conditioned on (any weight, either sign); null: any */
  classIndex: number | null
  /** words, all of which must match: a seed, a weight, a class or model name, or seed:N / weight:W / class:NAME / model:ID */
  query: string
}

export const NO_FILTER: HistoryFilter = { tool: 'all', classIndex: null, query: '' }

interface ItemConditions {
  classIndex: number
  weight: number
  className?: string
}

function conditionsOf(item: GalleryItem): ItemConditions[] {
  const conditions = item.params.conditions
  return Array.isArray(conditions) ? conditions.filter((c): c is ItemConditions => typeof c?.classIndex === 'number' && typeof c?.weight === 'number') : []
}

export function resultTool(item: GalleryItem): ResultTool {
  if (item.kind === 'repair') return 'repair'
  return conditionsOf(item).length > 1 ? 'compose' : 'generate'
}

function sameNumber(text: string, value: number): boolean {
  const n = Number(text.replace('−', '-'))
  return text.trim() !== '' && Number.isFinite(n) && Math.abs(n - value) < 1e-9
}

/** One search word against one result. */
function termMatches(term: string, item: GalleryItem, classes: readonly string[]): boolean {
  const conditions = conditionsOf(item)
  const names = conditions.map((c) => (c.className ?? classes[c.classIndex] ?? '').toLowerCase())
  const seed = typeof item.params.seed === 'number' ? item.params.seed : null
  const model = typeof item.params.modelId === 'string' ? item.params.modelId.toLowerCase() : ''
  const [key, value] = term.includes(':') ? [term.slice(0, term.indexOf(':')), term.slice(term.indexOf(':') + 1)] : ['', term]
  switch (key) {
    case 'seed':
      return seed !== null && sameNumber(value, seed)
    case 'weight':
    case 'w':
      return conditions.some((c) => sameNumber(value, c.weight))
    case 'class':
      return names.some((n) => n.includes(value))
    case 'model':
      return model.includes(value)
    default:
      // a bare number is a seed or a weight; a word is part of a class name, the title or the model
      if (seed !== null && sameNumber(value, seed)) return true
      if (conditions.some((c) => sameNumber(value, c.weight))) return true
      return names.some((n) => n.includes(value)) || item.title.toLowerCase().includes(value) || model.includes(value)
  }
}

/** Whether a result passes the history's tool and class filters and every word of its search. */
export function matchesFilter(item: GalleryItem, filter: HistoryFilter, classes: readonly string[]): boolean {
  if (filter.tool !== 'all' && resultTool(item) !== filter.tool) return false
  if (filter.classIndex !== null && !conditionsOf(item).some((c) => c.classIndex === filter.classIndex)) return false
  const terms = filter.query.toLowerCase().split(/\s+/).filter(Boolean)
  return terms.every((term) => termMatches(term, item, classes))
}
