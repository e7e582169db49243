import type { ClassifyParams, ClassifyResult, GenerateParams, JobResult, OodParams, OodResult, RepairParams } from './jobs'
import type { Frame } from './frames'
import type { PhotoRepairWireParams, PhotoRepairWireResult } from './photo-repair'
import type { SamplerPresets, SamplerSettings, OodCalibration, StudioDefaults } from './manifest'
import { PROVIDER_ORDER, type CalibratableOodScore, type CpuPrecision } from './settings'

/**
 * The engine's contract. The renderer speaks it over a MessagePort (desktop) or a
 * WebSocket (browser mode); the CLI calls the same engine in-process.
 */
export interface ModelInfo {
  id: string
  title: string
  space: 'pixel' | 'latent'
  shape: [number, number, number]
  /** the images its results are [C, H, W]: the shape for pixel models, the VAE's decoded size for latent ones */
  imageShape: [number, number, number]
  /** latent models: the VAE they need, by id */
  vae?: string
  classes: string[]
  nullClass: number
  sampler: SamplerSettings
  /** each method's benchmarked setting (the manifest's samplerPresets over sampler): applied when a user picks that method */
  samplerPresets: SamplerPresets
  /** repair and composition starting values (the manifest's, else fallbacks) */
  studio: StudioDefaults
  ood: OodCalibration | null
  /** set when `ood` is the user's own calibration (eqm calibrate): what it was fitted on */
  oodCalibratedOn?: string
  hasEnergy: boolean
  hasClassifier: boolean
  /** the manifest names a separate OOD network (files.ood): the two-network OOD scores are possible */
  hasOodNetwork?: boolean
  provenance: Record<string, unknown>
  /** set when jobs cannot run on this model: why (e.g. a latent model before the latent studio) */
  unavailable?: string
}

/** A model folder that could not be loaded, and why (the other folders still load). */
export interface ModelProblem {
  folder: string
  message: string
}

export type ProviderName = (typeof PROVIDER_ORDER)[number]
export const PROVIDER_NAMES: readonly ProviderName[] = PROVIDER_ORDER

export interface ProviderStatus {
  name: ProviderName
  available: boolean
  /** why it is not used, when it is not */
  reason?: string
}

/** One loaded gradient model's number format (settings CPU_PRECISION). */
export interface LoadedPrecision {
  modelId: string
  /** what it runs in: int8 only where int8 was asked for, on the CPU provider, and the model quantised */
  precision: 'fp32' | 'int8'
  /** why it runs fp32 where int8 was asked for: a GPU provider, or a model the quantiser refuses */
  reason?: string
}

export interface EngineInfo {
  version: string
  /** the provider sessions run on */
  active: ProviderName
  requested: ProviderName | 'auto'
  providers: ProviderStatus[]
  /** the CPU precision setting and what each loaded gradient model runs in (none before the first load) */
  cpuPrecision: { requested: CpuPrecision; loaded: LoadedPrecision[] }
}

/** "Add model…": a reference checkpoint (or a diffusers VAE folder) on the engine's machine, imported into the user-data models folder. */
export interface ImportRequest {
  kind: 'model' | 'vae'
  /** a checkpoint file (model) or an AutoencoderKL folder (vae), as a path on the engine's machine */
  source: string
  /** a folder to write exactly (CLI --out); else <models root>/<id> or <models root>/vae/<id> */
  out?: string
  id?: string
  /** model only: the VAE it decodes with, its title, attention heads and energy head when the checkpoint cannot say */
  vae?: string
  title?: string
  heads?: number
  ebm?: 'none' | 'l2' | 'dot' | 'mean'
}

export interface ImportResult {
  id: string
  folder: string
  files: string[]
  seconds: number
  /** why the imported model cannot generate (e.g. an energy-only head) */
  unavailable?: string
  /** the VAE id the model needs and that is not imported yet */
  needsVae?: string
}

export interface SessionSnapshot {
  savedAt: string
  data: unknown
}

/** A stored image: results as PNG, repair photos as model-space bytes ('raw'). */
export type BlobType = 'png' | 'raw'
/** An image-store name: the SHA-256 of the bytes, then the type. */
export const BLOB_REF_PATTERN = /^[0-9a-f]{64}\.(png|raw)$/

/** One result in the history journal: opaque to the engine but for its id and its image. */
export interface HistoryEntryRecord {
  id: string
  image: string
  [field: string]: unknown
}
export type HistoryOp = { op: 'add'; entry: HistoryEntryRecord } | { op: 'remove'; ids: string[] }

/** session.load: the session file, the history journal, and whether this view may write. */
export interface SessionLoad {
  /** the snapshot; null when nothing was saved yet; or why the file could not be read and where it was kept */
  session: SessionSnapshot | { unreadable: string; keptAt: string } | null
  /** live history entries, oldest first; problems name lines that could not be read (the journal was kept aside) */
  history: { entries: HistoryEntryRecord[]; problems: string[]; keptAt: string | null }
  /** why this view may not save (another tab, window or process has the session), else null */
  readOnly: string | null
}

/** method name -> params and result. Checked against the engine's handlers at compile time. */
export interface EngineMethods {
  'engine.info': { params: Record<string, never>; result: EngineInfo }
  'engine.setProvider': { params: { provider: ProviderName | 'auto' }; result: EngineInfo }
  /** the gradient model's number format on the CPU provider (settings CPU_PRECISION): its sessions are reloaded */
  'engine.setCpuPrecision': { params: { precision: CpuPrecision }; result: EngineInfo }
  'models.list': { params: Record<string, never>; result: { models: ModelInfo[]; problems: ModelProblem[] } }
  generate: { params: GenerateParams; result: JobResult }
  repair: { params: RepairParams; result: JobResult }
  /** a latent model repairs a photo at its own size (src/shared/photo-repair.ts) */
  'repair.photo': { params: PhotoRepairWireParams; result: PhotoRepairWireResult }
  'ood.score': { params: OodParams; result: { modelId: string; results: OodResult[] } }
  /** fits the model's OOD calibration (its own score kind) to these in-distribution images, kept in the user-data folder */
  'ood.calibrate': { params: OodParams & { source: string; score?: CalibratableOodScore }; result: { modelId: string; images: number; threshold: number; calibratedOn: string } }
  /** back to the model's own calibration */
  'ood.resetCalibration': { params: { modelId?: string }; result: { modelId: string; reset: boolean } }
  /** what the model's classifier sees in an image (models with files.classifier) */
  'image.classify': { params: ClassifyParams; result: ClassifyResult }
  cancel: { params: { jobId: string }; result: { cancelled: boolean } }
  /** stop-and-keep: a running job ends after its current step and returns its samples as they are (marked 'stopped-early') */
  stop: { params: { jobId: string }; result: { stopped: boolean } }
  /** imports into the user-data models folder, then rescans (the studio's "Add model…") */
  'models.import': { params: Omit<ImportRequest, 'out'>; result: ImportResult }
  'session.save': { params: { data: unknown }; result: { savedAt: string } }
  /** restores: the first view to load is the one that saves; the image store drops what nothing refers to */
  'session.load': { params: Record<string, never>; result: SessionLoad }
  /** copies the session file and the history journal aside (time-stamped) before the studio saves over files it read only in part */
  'session.keepAside': { params: { reason: 'partial' | 'newer' | 'migrated' }; result: { keptAt: string[] } }
  /** appends history changes (new results, removals) */
  'history.append': { params: { ops: HistoryOp[] }; result: { entries: number } }
  /** stores images (base64) once each, by content; returns their names */
  'store.put': { params: { blobs: { data: string; type: BlobType }[] }; result: { refs: string[] } }
  /** a stored image's bytes (base64) */
  'store.get': { params: { ref: string }; result: { data: string } }
}
export type EngineMethod = keyof EngineMethods
export type ParamsOf<M extends EngineMethod> = EngineMethods[M]['params']
export type ResultOf<M extends EngineMethod> = EngineMethods[M]['result']

export interface JobEvent {
  jobId: string
  state: 'queued' | 'running' | 'done' | 'cancelled' | 'failed'
  /** jobs ahead of this one while queued */
  position?: number
  error?: EngineErrorPayload
}

export interface EngineEvents {
  frame: Frame
  job: JobEvent
}

export type EngineErrorCode =
  | 'bad-request'
  | 'unknown-method'
  | 'model-not-found'
  | 'model-invalid'
  | 'model-output'
  | 'image-invalid'
  | 'cancelled'
  /** the connection already holds its most jobs (MAX_JOBS_PER_CONNECTION) */
  | 'busy'
  | 'engine-crashed'
  /** browser mode, set by the page: its server is unreachable, so the call was not sent */
  | 'disconnected'
  | 'internal'

export interface EngineErrorPayload {
  code: EngineErrorCode
  message: string
}

/** Wire messages, JSON-safe (they cross a WebSocket as text). */
export type ClientMessage =
  | { kind: 'request'; id: number; method: EngineMethod; params: unknown }
  | { kind: 'ack'; jobId: string; seq: number }

export type EngineMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: EngineErrorPayload }
  | { kind: 'event'; event: 'frame'; data: Frame }
  | { kind: 'event'; event: 'job'; data: JobEvent }
