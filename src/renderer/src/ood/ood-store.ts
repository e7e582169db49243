import type { StudioStore } from '../store/studio-store'
import { slice, type SliceStore } from '../store/slice'
import { useStudio } from '../store/context'
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
  /** which import is current: stopping or clearing makes a running one stop */
  importRun: number
}

export const INITIAL_OOD: OodState = {
  entries: [],
  modelId: null,
  sort: 'import',
  filter: 'all',
  selected: null,
  importing: null,
  message: null,
  importRun: 0
}

/** The OOD check's slice of the studio store: it keeps its list while other tools are used. */
export type OodStore = SliceStore<OodState>
export const oodSlice = (store: StudioStore): OodStore => slice(store, 'ood')

export function useOod<T>(selector: (state: OodState) => T): T {
  return useStudio((s) => selector(s.ood))
}
