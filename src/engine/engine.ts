import type {
  ClientMessage,
  EngineInfo,
  EngineMessage,
  EngineMethod,
  ModelInfo,
  ResultOf,
  JobEvent
} from '../shared/engine-protocol'
import { engineParamSchemas, type ParsedParams } from '../shared/engine-schemas'
import { describeZodError } from '../shared/manifest'
import { EngineError, toErrorPayload } from './errors'
import { JobQueue, type JobContext } from './job-queue'
import { JobOwners } from './job-owners'
import { describeDepthProblem } from '../shared/wire-limits'
import { describeModel, scanModels, unavailableReason, type ModelEntry, type ModelProblem } from './model-registry'
import type { OnnxGradientField } from './onnx-field'
import type { ShippedModels } from './model-files'
import { shippedModelsOfThisBuild } from './shipped-models'
import { ModelSessions, type SessionOptions } from './model-sessions'
import { UserData } from './user-data-store'
import { base64ToBytes, bytesToBase64 } from '../shared/base64'
import { runClassify, runGenerate, runRepair, runOod, type JobModels } from './jobs'
import { ENERGY_ANCHOR_DEFAULT, type EnergyAnchor } from './jobs/job-context'
import { runImport } from './model-import'
import { RowPacker } from './row-packer'
import { CalibrationStore, describeCalibration, type StoredCalibration } from './calibration-store'
import { runCalibration } from './jobs/calibrate-job'
import { photoRepairJobParams, photoRepairWireResult } from './jobs/photo-repair-wire'
import type { ModelImage } from '../shared/jobs'
import type { OodCalibration } from '../shared/manifest'
import { runPhotoRepair, type PhotoRepairParams, type PhotoRepairResult } from './jobs/photo-repair-job'

/** The engine's options; how models' sessions are loaded (provider, batch rows, descent path, CPU precision) is ModelSessions' (SessionOptions). */
export interface EngineOptions extends SessionOptions {
  modelRoots: readonly string[]
  /** autosave file in the user-data folder; without it session.save is refused */
  sessionFile?: string
  /**
   * Row packing (row-packer.ts): up to this many generate/repair jobs of one model run together
   * and share model calls. Default 1 (off): not every provider promises bit-identical rows
   * whatever batch they run in, and results record that packing was on.
   */
  packJobs?: number
  frameIntervalMs?: number
  /**
   * Where the preview frames' energy estimate gets its exact values (descent-frames.ts): 'end'
   * from the last frame's pass alone (earlier frames show the change since the start); 'inline'
   * from a second pass after the first frame, awaited between two steps; 'concurrent' the same
   * pass on onnxruntime's own thread while the descent goes on. npm run bench measures all
   * three (previews.byAnchor).
   */
  energyAnchor?: EnergyAnchor
  /** the user's own OOD calibrations (eqm calibrate), in the user-data folder; without it none are read or written */
  calibrationsDir?: string
  /** the app's own models and their build-time hashes; default: this build's (packaged app only) */
  shippedModels?: ShippedModels | null
  /** the user-data models folder "Add model…" imports into (models.import); without it importing is refused */
  importRoot?: string
}

export { ENERGY_ANCHOR_DEFAULT }

/** Where engine messages for one window / socket / CLI go (the renderer's EngineClient calls; this receives). */
export interface EngineSink {
  send(message: EngineMessage): void
}

type Handlers = { [M in EngineMethod]: (params: ParsedParams<M>, client: EngineSink) => Promise<ResultOf<M>> }

/**
 * The EqM engine: models, execution providers, the job queue, samplers, OOD scoring.
 * Plain Node; the hosts (utility process, child process, CLI) only move messages.
 */
export class Engine {
  private models: ModelEntry[] = []
  private problems: ModelProblem[] = []
  private readonly sessions: ModelSessions
  /** by VAE id: latent models that share a VAE share its sessions */
  private readonly queue: JobQueue
  private readonly owners = new JobOwners()
  /** ids of the engine's own queue entries (OOD, classify): a ':' no client job id may hold, so they never collide */
  private internalJobs = 0
  private readonly userData: UserData | null
  private readonly packers = new Map<string, RowPacker>()
  private readonly calibrations: CalibrationStore | null

  constructor(private readonly options: EngineOptions) {
    this.sessions = new ModelSessions(options)
    this.userData = options.sessionFile ? new UserData(options.sessionFile) : null
    this.calibrations = options.calibrationsDir ? new CalibrationStore(options.calibrationsDir) : null
    this.queue = new JobQueue((event) => this.emitJobEvent(event), options.packJobs ?? 1)
    this.rescan()
  }

  /** Serves one wire message from a client; replies go back through the same client. */
  receive(client: EngineSink, message: ClientMessage): void {
    if (message?.kind === 'ack') {
      if (typeof message.jobId === 'string' && typeof message.seq === 'number' && Number.isFinite(message.seq)) this.owners.ack(client, message.jobId, message.seq)
      else client.send({ kind: 'response', id: -1, ok: false, error: { code: 'bad-request', message: 'malformed ack: needs a string jobId and a finite number seq' } })
      return
    }
    if (message?.kind !== 'request' || typeof message.id !== 'number') {
      client.send({ kind: 'response', id: -1, ok: false, error: { code: 'bad-request', message: 'malformed message' } })
      return
    }
    this.call(message.method, message.params, client).then(
      (result) => client.send({ kind: 'response', id: message.id, ok: true, result }),
      (error) => client.send({ kind: 'response', id: message.id, ok: false, error: toErrorPayload(error) })
    )
  }

  /** A client went away: its queued and running jobs are cancelled. */
  detach(client: EngineSink): void {
    for (const key of this.owners.keysOf(client)) this.queue.cancel(key)
    this.userData?.detach(client)
  }

  /** Validates params and runs a method: the one entry for wire requests and in-process callers. */
  async call<M extends EngineMethod>(method: M, params: unknown, client: EngineSink = silentSink): Promise<ResultOf<M>> {
    if (typeof method !== 'string' || !Object.hasOwn(engineParamSchemas, method)) {
      throw new EngineError('unknown-method', `unknown method ${String(method)}`)
    }
    // bounded before zod walks it or a store serialises it (in-process callers skip the server's check)
    const tooDeep = describeDepthProblem(params, `${method} params`)
    if (tooDeep) throw new EngineError('bad-request', tooDeep)
    const schema = engineParamSchemas[method]
    const parsed = schema.safeParse(params ?? {})
    if (!parsed.success) throw new EngineError('bad-request', `${method}: ${describeZodError(parsed.error)}`)
    const handler = this.handlers[method] as (p: unknown, c: EngineSink) => Promise<ResultOf<M>>
    return handler(parsed.data, client)
  }

  get modelProblems(): readonly ModelProblem[] {
    return this.problems
  }

  private readonly handlers: Handlers = {
    'engine.info': async () => this.info(),
    'engine.setProvider': async ({ provider }) =>
      this.queue.submit(`engine/set-provider-${++this.internalJobs}`, async () => {
        this.packers.clear()
        await this.sessions.setProvider(provider)
        const first = this.models.find((m) => unavailableReason(m) === undefined)
        if (first) await this.field(first)
        return this.info()
      }),
    'engine.setCpuPrecision': async ({ precision }) =>
      this.queue.submit(`engine/set-cpu-precision-${++this.internalJobs}`, async () => {
        this.packers.clear()
        // the fields that were loaded load again in the new format (else the first model's, as
        // engine.setProvider loads it), so engine info says what now runs
        const wereLoaded = await this.sessions.setCpuPrecision(precision)
        const usable = this.models.filter((m) => unavailableReason(m) === undefined)
        const reload = usable.filter((m) => wereLoaded.includes(m.manifest.id))
        for (const entry of reload.length > 0 ? reload : usable.slice(0, 1)) await this.field(entry)
        return this.info()
      }),
    'models.list': async () => ({ models: this.listModels(), problems: [...this.problems] }),
    generate: async (params, client) =>
      this.runJob(
        params.jobId,
        client,
        async (context) => {
          const entry = this.model(params.modelId)
          return this.withDescentModels(entry, (models) => runGenerate(models, entry.manifest, params, this.jobRuntime(params.jobId, client, context)))
        },
        this.descentGroup(params.modelId)
      ),
    repair: async (params, client) =>
      this.runJob(
        params.jobId,
        client,
        async (context) => {
          const entry = this.model(params.modelId)
          return this.withDescentModels(entry, (models) => runRepair(models, entry.manifest, params, this.jobRuntime(params.jobId, client, context)))
        },
        this.descentGroup(params.modelId)
      ),
    'repair.photo': async (params, client) => {
      const job = await photoRepairJobParams(params)
      const result = await this.repairPhoto(params.modelId, job, client)
      return photoRepairWireResult(params.jobId, result.params.modelId, job.photo, result)
    },
    'ood.score': async (params, client) =>
      this.runJob(`ood:${++this.internalJobs}`, client, async () => {
        const entry = this.model(params.modelId)
        return { modelId: entry.manifest.id, results: await runOod(await this.oodModels(entry), entry.manifest, params, this.oodCalibration(entry).calibration) }
      }),
    'ood.calibrate': async ({ modelId, images, source, score }) => {
      const stored = await this.calibrateOod(modelId, (async function* () {
        yield images
      })(), [source], score)
      return { modelId: stored.modelId, images: stored.calibratedOn.images, threshold: stored.calibration.threshold, calibratedOn: describeCalibration(stored) }
    },
    'ood.resetCalibration': async ({ modelId }) => {
      const id = this.model(modelId).manifest.id
      return { modelId: id, reset: this.resetOodCalibration(id) }
    },
    'image.classify': async (params, client) =>
      this.runJob(`classify:${++this.internalJobs}`, client, async () => {
        const entry = this.model(params.modelId)
        return runClassify(await this.sessions.classifier(entry), entry.manifest, params)
      }),
    cancel: async ({ jobId }, client) => ({ cancelled: this.owners.owner(this.owners.key(client, jobId)) !== undefined && this.queue.cancel(this.owners.key(client, jobId)) }),
    'models.import': async (request) => {
      if (!this.options.importRoot) throw new EngineError('bad-request', 'this engine was started without a user-data models folder to import into')
      const result = await runImport(request, this.options.importRoot)
      this.rescan()
      return result
    },
    // stop-and-keep, scoped to the client's own jobs like cancel
    stop: async ({ jobId }, client) => ({ stopped: this.owners.owner(this.owners.key(client, jobId)) !== undefined && this.queue.stop(this.owners.key(client, jobId)) }),
    'session.save': async ({ data }, client) => this.requireUserData().save(client, data),
    'session.load': async (_params, client) => this.requireUserData().load(client),
    'session.keepAside': async ({ reason }, client) => ({ keptAt: this.requireUserData().keepAside(client, reason) }),
    'history.append': async ({ ops }, client) => this.requireUserData().append(client, ops),
    'store.put': async ({ blobs }) => ({ refs: blobs.map(({ data, type }) => this.requireUserData().blobs.put(base64ToBytes(data), type)) }),
    'store.get': async ({ ref }) => ({ data: bytesToBase64(this.requireUserData().blobs.get(ref)) })
  }

  /**
   * Repair of a photo at its own size with a latent model (jobs/photo-repair-job.ts). In-process
   * only for now (the CLI): the photo and mask are decoded by the caller; the studio's wire form
   * (the photo by image-store reference, the mask as its painted bounding box) is not built yet.
   */
  repairPhoto(modelId: string | undefined, params: PhotoRepairParams, client: EngineSink = silentSink): Promise<PhotoRepairResult> {
    return this.runJob(params.jobId, client, async (context) => {
      const entry = this.model(modelId)
      return runPhotoRepair(await this.jobModels(entry), entry.manifest, params, this.jobRuntime(params.jobId, client, context))
    })
  }

  /** Queues a client's job under its scoped key; the client's cap and duplicate ids are checked first. */
  private runJob<T>(jobId: string, client: EngineSink, run: (context: JobContext) => Promise<T>, group?: string): Promise<T> {
    let key: string
    try {
      key = this.owners.claim(client, jobId)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.queue.submit(key, run, group).finally(() => this.owners.release(key))
  }

  private get packing(): boolean {
    return (this.options.packJobs ?? 1) > 1
  }

  /** descents of one model may run together (and share calls) only with packing on */
  private descentGroup(modelId: string | undefined): string | undefined {
    return this.packing ? `descent:${modelId ?? this.models[0]?.manifest.id}` : undefined
  }

  /** A descent job's models: with packing on, its field is a view of the model's shared calls. */
  private async withDescentModels<T>(entry: ModelEntry, run: (models: JobModels) => Promise<T>): Promise<T> {
    const models = await this.jobModels(entry)
    if (!this.packing) return run(models)
    let packer = this.packers.get(entry.manifest.id)
    if (!packer || packer.field !== models.field) this.packers.set(entry.manifest.id, (packer = new RowPacker(models.field)))
    const view = packer.open()
    try {
      return await run({ ...models, field: view, rowPacking: true })
    } finally {
      view.close()
    }
  }

  private jobRuntime(jobId: string, client: EngineSink, context: { isCancelled(): boolean; isStopped(): boolean }) {
    return {
      isCancelled: context.isCancelled,
      isStopped: context.isStopped,
      frameIntervalMs: this.options.frameIntervalMs ?? 33,
      energyAnchor: this.options.energyAnchor ?? ENERGY_ANCHOR_DEFAULT,
      sendFrame: (frame: import('../shared/frames').Frame) => client.send({ kind: 'event', event: 'frame', data: frame }),
      onAck: (listener: ((seq: number) => void) | null) => this.owners.onAck(this.owners.key(client, jobId), listener)
    }
  }

  private emitJobEvent(event: JobEvent): void {
    // the queue speaks scoped keys; the owner hears its own job id
    const owner = this.owners.owner(event.jobId)
    owner?.client.send({ kind: 'event', event: 'job', data: { ...event, jobId: owner.jobId } })
  }

  private requireUserData(): UserData {
    if (!this.userData) throw new EngineError('bad-request', 'this engine was started without a user-data folder (session file)')
    return this.userData
  }

  rescan(): void {
    const { models, problems } = scanModels(this.options.modelRoots, { shipped: this.options.shippedModels === undefined ? shippedModelsOfThisBuild() : this.options.shippedModels })
    this.models = models
    this.problems = problems
  }

  listModels(): ModelInfo[] {
    return this.models.map((entry) => {
      const info = describeModel(entry)
      try {
        const { calibration, stored } = this.oodCalibration(entry)
        return stored ? { ...info, ood: calibration, oodCalibratedOn: describeCalibration(stored) } : info
      } catch (error) {
        // an unreadable calibration file: the model's own is shown, and the chart says why
        return { ...info, oodCalibratedOn: `the model's calibration (yours cannot be read: ${(error as Error).message})` }
      }
    })
  }

  /** The OOD calibration in force: the user's own (eqm calibrate) when there is one, else the model's. */
  oodCalibration(entry: ModelEntry): { calibration: OodCalibration | null; stored: StoredCalibration | null } {
    const stored = this.calibrations?.read(entry.manifest) ?? null
    return stored ? { calibration: stored.calibration, stored } : { calibration: entry.manifest.ood, stored: null }
  }

  /**
   * Fits the model's OOD calibration, for the score kind it already has (grad-rms when it has
   * none), to the user's in-distribution images, and keeps it in the user-data folder. Images
   * come in batches (wire images at the model's image size) so a large folder is never held whole.
   */
  /** Fits and stores the user's OOD calibration: for the model's own score kind, or for `score`. */
  async calibrateOod(modelId: string | undefined, batches: AsyncIterable<{ name: string; image: ModelImage }[]>, sources: string[], score?: string): Promise<StoredCalibration> {
    const store = this.calibrations
    if (!store) throw new EngineError('bad-request', 'this engine was started without a user-data folder for calibrations')
    const entry = this.model(modelId)
    const models = await this.oodModels(entry)
    const calibration = await runCalibration(models, entry.manifest, batches, (work) => this.runJob(`calibrate:${++this.internalJobs}`, silentSink, work), score)
    return store.write(entry.manifest, calibration, { images: calibration.calibrationImages, sources, at: new Date().toISOString() })
  }

  /** Back to the model's own calibration. */
  resetOodCalibration(modelId: string | undefined): boolean {
    if (!this.calibrations) throw new EngineError('bad-request', 'this engine was started without a user-data folder for calibrations')
    return this.calibrations.reset(this.model(modelId).manifest.id)
  }

  info(): EngineInfo {
    return this.sessions.info()
  }

  model(id: string | undefined): ModelEntry {
    if (this.models.length === 0) {
      const why = this.problems.map((p) => `${p.folder}: ${p.message}`).join('; ')
      throw new EngineError('model-not-found', `no usable model found${why ? ` (${why})` : ''}`)
    }
    // without an id: the first model jobs can run on (an imported latent model is listed but not usable yet)
    if (id === undefined) return this.models.find((m) => unavailableReason(m) === undefined) ?? this.models[0]
    const entry = this.models.find((m) => m.manifest.id === id)
    if (entry) return entry
    const problem = this.problems.find((p) => p.folder.endsWith(`/${id}`) || p.folder.endsWith(`\\${id}`))
    if (problem) throw new EngineError('model-invalid', problem.message)
    throw new EngineError('model-not-found', `unknown model "${id}" (available: ${this.models.map((m) => m.manifest.id).join(', ')})`)
  }

  /** The networks a job of this model runs (model-sessions.ts loads and keeps them). */
  jobModels(entry: ModelEntry): Promise<JobModels> {
    return this.sessions.jobModels(entry)
  }

  /** The networks the OOD score reads (model-sessions.ts oodModels: files.ood where the manifest names one). */
  oodModels(entry: ModelEntry): Promise<JobModels> {
    return this.sessions.oodModels(entry)
  }

  /** The model's gradient-field session, on the chosen provider. */
  field(entry: ModelEntry): Promise<OnnxGradientField> {
    return this.sessions.field(entry)
  }

  async dispose(): Promise<void> {
    this.packers.clear()
    await this.sessions.release()
  }
}

const silentSink: EngineSink = { send: () => undefined }
