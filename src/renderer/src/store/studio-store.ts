import { createStore } from 'zustand/vanilla'
import type { EngineInfo, ModelInfo, ProviderName } from '../../../shared/engine-protocol'
import type { EngineStatus } from '../../../shared/engine-status'
import type { SamplerSettings } from '../../../shared/manifest'
import type { PreviewImage } from '../../../shared/frames'
import type { DescentPoint } from './descent-history'
import { EMPTY_HISTORY, type RepairHistory } from '../repair/repair-history'
import { JOB, REPAIR, defaultSampler, type CpuPrecision } from '../../../shared/settings'
import { initialCompose, type ComposeState } from '../compose/compose-store'
import { INITIAL_OOD, type OodState } from '../ood/ood-store'

export interface GenerateSettings {
  classIndex: number
  count: number
  seed: number
  lockSeed: boolean
  sampler: SamplerSettings
}

/** The job being descended right now: what the staging layer and the progress bar show. */
export interface LiveJob {
  jobId: string
  kind: 'generate' | 'repair'
  state: 'queued' | 'running'
  step: number
  maxSteps: number
  active: number
  count: number
  startedAt: number
  /** when the last frame arrived (performance.now): how long the current step has run, for slow models */
  lastFrameAt?: number
  preview: PreviewImage | null
  /** the tool that started it: its descent plot belongs to that tool */
  tool: ToolId
  /** the job's stop threshold (dashed in the plot); null where the engine's default applies, and for the clock */
  stopGradNorm: number | null
  /** the job integrates on the clock: every sample moves every step, nothing stops early */
  onClock: boolean
  /** per frame: the step, each sample's gradient RMS and energy */
  gradHistory: DescentPoint[]
}

/** The finished job's descent, kept for its tool's plot until that tool runs again. */
/** One job this window sent, queued or running, as the queue view lists it (in the engine's order). */
export interface QueuedJob {
  jobId: string
  kind: 'generate' | 'repair'
  tool: ToolId
  state: 'queued' | 'running'
  count: number
  maxSteps: number
  stopGradNorm: number | null
  onClock: boolean
}

export type Descent = Pick<LiveJob, 'tool' | 'stopGradNorm' | 'onClock' | 'gradHistory'>

export interface GalleryItem {
  id: string
  kind: 'generate' | 'repair'
  /** the PNG's name in the user-data image store (content hash) */
  image: string
  width: number
  height: number
  title: string
  params: Record<string, unknown>
  steps: number
  gradNorm: number
  createdAt: number
  /** the user stopped the descent and kept this state (stop-and-keep) */
  stoppedEarly?: boolean
}

export interface RepairState {
  history: RepairHistory
  brush: { mode: 'brush' | 'eraser'; size: number; opacity: number; softness: number }
  /** strength: the noise strength s painted at full opacity; repair has its own sampler (its benchmark's, not Generate's) */
  settings: { strength: number; holdUnmasked: boolean; classIndex: number | null; seed: number; lockSeed: boolean; sampler: SamplerSettings }
  /** the last repair, not yet accepted: shown with the before/after slider */
  result: { png: string; bytes: Uint8Array; seed: number } | null
  /** before/after slider, 0 = all before, 1 = all after */
  compare: number
}

export const DEFAULT_REPAIR: RepairState = {
  history: EMPTY_HISTORY,
  brush: { mode: 'brush', size: REPAIR.brushSize.default, opacity: REPAIR.brushOpacity.default, softness: REPAIR.brushSoftness.default },
  settings: { strength: REPAIR.strength.default, holdUnmasked: true, classIndex: null, seed: JOB.seed.default, lockSeed: false, sampler: defaultSampler() },
  result: null,
  compare: 0.5
}

export type ToolId = 'generate' | 'compose' | 'repair' | 'ood'

/** A tool's name as the user reads it outside its own panel (the queue view, notices). */
export const TOOL_NAMES: Record<ToolId, string> = { generate: 'Generate', compose: 'Compose', repair: 'Repair', ood: 'OOD check' }

export interface StudioState {
  tool: ToolId
  engineStatus: EngineStatus | null
  engineInfo: EngineInfo | null
  /** the user's execution-provider choice, re-applied after an engine restart */
  providerPreference: ProviderName | 'auto'
  /** the user's CPU precision choice (settings CPU_PRECISION), re-applied after an engine restart; null: the engine's own (fp32, or EQM_CPU_PRECISION) until the user picks one */
  cpuPrecisionPreference: CpuPrecision | null
  models: ModelInfo[]
  modelId: string | null
  generate: GenerateSettings
  /** the job the live view (canvas frames, progress, plot) follows: the running one, else the next queued */
  job: LiveJob | null
  /** every job this window sent that has not finished, oldest first: the queue view */
  queue: QueuedJob[]
  /** the gradient-norm history of the last finished job, kept for the plot */
  lastDescent: Descent | null
  repair: RepairState
  /** the images of the last finished job, shown on the canvas */
  canvasImages: GalleryItem[]
  /** a result shown on the canvas but not kept (a live composition): staging, not history */
  canvasPreview: GalleryItem[] | null
  gallery: GalleryItem[]
  /** tool: set on a notice about one tool's own input (an unreadable photo, an empty mask), which goes when the user moves to another tool */
  notice: { kind: 'error' | 'info'; text: string; tool?: ToolId } | null
  /** why this view saves nothing (another tab or process has the session); null when it saves */
  readOnly: string | null
  /** the last removal from the history, which Undo brings back */
  historyUndo: { label: string; items: GalleryItem[] } | null
  /** bumped by the F shortcut: the canvas in view fits its content */
  fitRequest: number
  /** the keyboard shortcuts overlay (the ? key) is open */
  shortcutsOpen: boolean
  /** Compose's rows, settings, comparison and live state */
  compose: ComposeState
  /** the OOD check's imported images and their scores */
  ood: OodState
}

/** before any model is loaded: the settings module's defaults (a model's own replace them) */
export const FALLBACK_SAMPLER: SamplerSettings = defaultSampler()

export function createStudioStore() {
  return createStore<StudioState>(() => ({
    tool: 'generate',
    engineStatus: null,
    engineInfo: null,
    providerPreference: 'auto',
    cpuPrecisionPreference: null,
    models: [],
    modelId: null,
    generate: { classIndex: 0, count: JOB.count.default, seed: JOB.seed.default, lockSeed: false, sampler: FALLBACK_SAMPLER },
    job: null,
    queue: [],
    lastDescent: null,
    repair: DEFAULT_REPAIR,
    canvasImages: [],
    canvasPreview: null,
    gallery: [],
    notice: null,
    readOnly: null,
    fitRequest: 0,
    shortcutsOpen: false,
    historyUndo: null,
    compose: initialCompose(),
    ood: INITIAL_OOD
  }))
}

export type StudioStore = ReturnType<typeof createStudioStore>

export function currentModel(state: StudioState): ModelInfo | null {
  return state.models.find((m) => m.id === state.modelId) ?? null
}

/** The user moves to another tool: a notice about the previous tool's own input goes with it; any other stays. */
export function selectTool(store: StudioStore, tool: ToolId): void {
  store.setState((s) => ({ tool, notice: s.notice?.tool !== undefined && s.notice.tool !== tool ? null : s.notice }))
}
