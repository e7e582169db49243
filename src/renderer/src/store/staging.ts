import type { StudioState, StudioStore } from './studio-store'
import { acceptRepair, discardRepair, updateRepair } from '../repair/repair-actions'
import { keepPreview } from '../compose/compose-actions'

/**
 * A result waiting on the canvas for the user's word, as in InvokeAI's staging area: a repair
 * (accept makes it the working photo) or a live composition (accept keeps it in the history).
 */
export type Staged = 'repair' | 'composition' | null

export function stagedResult(state: StudioState): Staged {
  if (state.tool === 'repair' && state.repair.result) return 'repair'
  if (state.tool === 'compose' && state.canvasPreview) return 'composition'
  return null
}

export function acceptStaged(store: StudioStore): void {
  const staged = stagedResult(store.getState())
  if (staged === 'repair') acceptRepair(store)
  else if (staged === 'composition') keepPreview(store)
}

export function discardStaged(store: StudioStore): void {
  const staged = stagedResult(store.getState())
  if (staged === 'repair') discardRepair(store)
  else if (staged === 'composition') store.setState({ canvasPreview: null })
}

/** Repair: the split before/after view, or the repair alone. */
export function toggleCompare(store: StudioStore): void {
  updateRepair(store, (r) => ({ compare: r.compare > 0 ? 0 : 0.5 }))
}
