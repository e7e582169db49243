import type { ModelInfo } from '../../../shared/engine-protocol'
import type { Condition } from '../../../shared/jobs'
import type { SamplerSettings } from '../../../shared/manifest'
import { defaultSampler } from '../../../shared/settings'
import type { StudioStore } from '../store/studio-store'
import { slice, type SliceStore } from '../store/slice'
import { useStudio } from '../store/context'
import { defaultRows, type ComposeRow } from './compose-logic'

export interface ComparisonCell {
  kind: 'single' | 'composition'
  label: string
  conditions: Condition[]
  status: 'waiting' | 'running' | 'done' | 'skipped'
  png?: string
  steps?: number
  gradNorm?: number
}

export interface Comparison {
  seed: number
  state: 'running' | 'done' | 'stopped'
  /** the settings it was made with (compositionSignature) */
  signature: string
  cells: ComparisonCell[]
}

/** Composition's own state; the studio store holds the live job, canvas and gallery. */
export interface ComposeState {
  /** the model the rows and sampler settings belong to */
  modelId: string | null
  rows: ComposeRow[]
  count: number
  seed: number
  lockSeed: boolean
  sampler: SamplerSettings
  comparison: Comparison | null
  /** re-run on every change of classes, weights or guidance; results are previews until kept */
  live: boolean
  /** live composition: a newer request arrived / a loop is running it */
  liveWanted: boolean
  livePumping: boolean
  /** the live loop's job in flight: the one a newer request cancels */
  liveJobId: string | null
  /** which comparison run is current: closing one makes its remaining jobs stop */
  comparisonRun: number
}

export function initialCompose(): ComposeState {
  return { modelId: null, rows: [], count: 4, seed: 1, lockSeed: false, sampler: defaultSampler(), comparison: null, live: false, liveWanted: false, livePumping: false, liveJobId: null, comparisonRun: 0 }
}

/** Compose's slice of the studio store. */
export type ComposeStore = SliceStore<ComposeState>
export const composeSlice = (store: StudioStore): ComposeStore => slice(store, 'compose')

export function useCompose<T>(selector: (state: ComposeState) => T): T {
  return useStudio((s) => selector(s.compose))
}

let rowKey = 0
export const nextRowKey = () => ++rowKey

/**
 * Rows and sampler settings start from the model: its first two classes at its composition
 * weight, its sampler defaults with its composition guidance (both from its benchmark).
 */
export function syncComposeModel(store: ComposeStore, model: ModelInfo | null): void {
  if (!model || store.getState().modelId === model.id) return
  store.setState({ modelId: model.id, rows: defaultRows(model.classes.length, nextRowKey, model.studio.compose.weight), sampler: composeSamplerDefaults(model), comparison: null })
}

/** A composition samples with the model's composition sampler (manifest studio.compose: the model's sampler with its composition guidance, not Generate's). */
export function composeSamplerDefaults(model: ModelInfo): SamplerSettings {
  return model.studio.compose.sampler
}
