import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import type { FilterKey, OodEntry, SortKey } from './ood-logic'

/** The OOD check's own state: imported images, their scores, and how the list is shown. */
export interface OodState {
  entries: OodEntry[]
  /** the model the entries were scored with */
  modelId: string | null
  sort: SortKey
  filter: FilterKey
  /** the entry highlighted in the list and on the chart */
  selected: string | null
  /** an import in progress: how many files are done of how many */
  importing: { done: number; total: number } | null
  /** a problem with the import as a whole (not one file's error) */
  message: { kind: 'error' | 'info'; text: string } | null
}

export const INITIAL_OOD: OodState = {
  entries: [],
  modelId: null,
  sort: 'import',
  filter: 'all',
  selected: null,
  importing: null,
  message: null
}

export function createOodStore() {
  return createStore<OodState>(() => INITIAL_OOD)
}
export type OodStore = ReturnType<typeof createOodStore>

/** One per window: the OOD check keeps its list while other tools are used. */
export const oodStore = createOodStore()

export function useOod<T>(selector: (state: OodState) => T): T {
  return useStore(oodStore, selector)
}
