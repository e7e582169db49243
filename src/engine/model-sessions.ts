import type { EngineInfo, LoadedPrecision, ProviderName } from '../shared/engine-protocol'
import { ENGINE_VERSION } from '../shared/version'
import { EngineError } from './errors'
import { unavailableReason, type ModelEntry } from './model-registry'
import { GRAPH_STEPS_PER_CALL, OnnxGradientField, type DescentPath } from './onnx-field'
import { chooseProvider, PROVIDER_PREFERENCE, type ProviderChoice } from './providers'
import { OnnxEnergyModel } from './onnx-energy'
import { OnnxClassifier } from './onnx-classifier'
import { OnnxVae } from './onnx-vae'
import { LoadCache } from './load-cache'
import { Int8Cache } from './int8-cache'
import type { JobModels } from './jobs'
import { CPU_PRECISION, cpuPrecisionIgnoredOn, type CpuPrecision } from '../shared/settings'

export interface SessionOptions {
  provider?: ProviderName | 'auto'
  maxBatchRows?: number
  /** where descent steps run (onnx-field.ts DescentPath); default 'auto' */
  descentPath?: DescentPath
  /** steps per call of the step graph (onnx-field.ts GRAPH_STEPS_PER_CALL) */
  descentStepsPerCall?: number
  /** the gradient model's number format on the CPU provider (settings CPU_PRECISION, quantize-int8.ts); other providers ignore it */
  cpuPrecision?: CpuPrecision
  /** int8 models kept between loads, in the user-data folder (user-data.ts int8CacheDir, int8-cache.ts); without it each int8 load quantises */
  int8CacheDir?: string
}

/**
 * The loaded ONNX sessions of every model (gradient field, energy, classifier, VAE), each loaded
 * once, and the execution provider they run on: chosen at the first load (CPU first, so a
 * broken model file is reported as such and not as "no provider"), kept until changed.
 */
export class ModelSessions {
  private readonly fields = new LoadCache<OnnxGradientField>()
  /**
   * fp32 host-path fields the OOD score reads beside the descents' field, by model id and file:
   * the files.ood network, and the generating network where the descents' copy runs int8
   */
  private readonly fp32Fields = new LoadCache<OnnxGradientField>()
  private readonly energyModels = new LoadCache<OnnxEnergyModel | null>()
  private readonly classifiers = new LoadCache<OnnxClassifier>()
  private readonly vaes = new LoadCache<OnnxVae>()
  private providerChoice: ProviderChoice | null = null
  private requestedProvider: ProviderName | 'auto'
  private cpuPrecision: CpuPrecision
  /** by model id: what each loaded gradient field runs in (engine info) */
  private readonly precisions = new Map<string, LoadedPrecision>()
  private readonly int8Cache: Int8Cache | null

  constructor(private readonly options: SessionOptions) {
    this.requestedProvider = options.provider ?? 'auto'
    this.cpuPrecision = options.cpuPrecision ?? CPU_PRECISION.default
    this.int8Cache = options.int8CacheDir ? new Int8Cache(options.int8CacheDir) : null
  }

  /** Another provider: every session is released and reloaded on the next use. */
  async setProvider(provider: ProviderName | 'auto'): Promise<void> {
    this.requestedProvider = provider
    await this.release()
    this.providerChoice = null
  }

  /**
   * Another CPU precision: the gradient fields (the only sessions it changes) are released and
   * reloaded on the next use, on the provider already chosen. Returns the ids of the models
   * whose fields were loaded (to reload now).
   */
  async setCpuPrecision(precision: CpuPrecision): Promise<string[]> {
    this.cpuPrecision = precision
    const loaded = [...this.precisions.keys()]
    this.precisions.clear()
    await releaseAll(this.fields.drain())
    return loaded
  }

  info(): EngineInfo {
    const choice = this.providerChoice
    return {
      version: ENGINE_VERSION,
      active: choice?.active ?? 'cpu',
      requested: this.requestedProvider,
      providers:
        choice?.statuses ??
        PROVIDER_PREFERENCE.map((name) => ({ name, available: name === 'cpu', reason: name === 'cpu' ? undefined : 'not probed yet: no model loaded' })),
      cpuPrecision: { requested: this.cpuPrecision, loaded: [...this.precisions.values()] }
    }
  }

  /** The networks a job of this model runs: its gradient field and, where it has them, its energy model and VAE. */
  async jobModels(entry: ModelEntry): Promise<JobModels> {
    const field = await this.field(entry)
    const vae = entry.vae
    return {
      field,
      energy: await this.energy(entry, field.provider),
      vae: vae ? await this.vaes.get(vae.manifest.id, () => OnnxVae.load(vae, field.provider)) : null
    }
  }

  /**
   * The networks the OOD score and its calibration read: the job models, with the manifest's
   * files.ood field in place of the generating one where it names one. Its calibration (manifest
   * ood, the user's own) was fitted on that network's fp32 features, so every OOD path must use it.
   * With files.ood the generating network is there too, in fp32 (generatingField: the pair score
   * reads both); without it there is one network, and generatingField is absent.
   */
  async oodModels(entry: ModelEntry): Promise<JobModels> {
    const models = await this.jobModels(entry)
    const generating = await this.field(entry)
    const { files, id } = entry.manifest
    // calibrations are fitted on fp32 features: an int8 generating field is not read for OOD
    const oodFile = files.ood ?? (generating.precision === 'int8' ? files.gradient : undefined)
    if (oodFile === undefined) return models
    const provider = generating.provider
    const rows = this.options.maxBatchRows ?? 64
    // host path: OOD features are single model calls, never a descent, so no step graph is built
    const hostFp32 = (file: string) => this.fp32Fields.get(`${id}/${file}`, () => OnnxGradientField.load(entry.file(file), entry.manifest, provider, rows, 'host'))
    const field = await hostFp32(oodFile)
    if (files.ood === undefined || files.gradient === undefined) return { ...models, field }
    const gradientFile = files.gradient
    const generatingField = async () => (generating.precision === 'int8' ? hostFp32(gradientFile) : generating)
    // the classifier variant's third network (ood-kinds.ts needsClassifier), where the model has one
    const classifier = files.classifier ? () => this.classifier(entry) : undefined
    return { ...models, field, generatingField, ...(classifier ? { classifier } : {}) }
  }

  private energy(entry: ModelEntry, provider: ProviderName): Promise<OnnxEnergyModel | null> {
    const { id, files } = entry.manifest
    return this.energyModels.get(id, async () => (files.energy ? OnnxEnergyModel.load(entry.file(files.energy), entry.manifest, provider) : null))
  }

  /** The model's classifier, loaded on first use on the field's provider. */
  async classifier(entry: ModelEntry): Promise<OnnxClassifier> {
    const { id, files } = entry.manifest
    if (!files.classifier) throw new EngineError('bad-request', `${id} has no classifier (manifest files.classifier)`)
    const classifierFile = files.classifier
    return this.classifiers.get(id, async () => OnnxClassifier.load(entry.file(classifierFile), entry.manifest, (await this.field(entry)).provider))
  }

  /** The model's session, on the chosen provider; the provider is chosen at the first load. */
  field(entry: ModelEntry): Promise<OnnxGradientField> {
    return this.fields.get(entry.manifest.id, async () => {
      const requested = this.cpuPrecision
      const field = await this.loadField(entry, requested)
      this.precisions.set(entry.manifest.id, loadedPrecision(entry.manifest.id, requested, field))
      return field
    })
  }

  private async loadField(entry: ModelEntry, precision: CpuPrecision): Promise<OnnxGradientField> {
    const unavailable = unavailableReason(entry)
    if (unavailable !== undefined || entry.manifest.files.gradient === undefined) {
      throw new EngineError('model-invalid', `${entry.manifest.id} cannot run jobs: ${unavailable ?? 'no gradient model'}`)
    }
    const file = entry.file(entry.manifest.files.gradient)
    const rows = this.options.maxBatchRows ?? 64
    const path = this.options.descentPath ?? 'auto'
    const k = this.options.descentStepsPerCall ?? GRAPH_STEPS_PER_CALL
    // only the gradient field: the energy model, classifier and VAE stay fp32 (previews, OOD
    // scores and decoding are not where a job spends its time)
    const load = (provider: ProviderName, p: CpuPrecision) => OnnxGradientField.load(file, entry.manifest, provider, rows, path, k, p, this.int8Cache)
    const choice = this.providerChoice
    if (choice) {
      if (choice.active === 'cpu') return load('cpu', precision)
      try {
        return await load(choice.active, precision)
      } catch {
        return load('cpu', precision)
      }
    }
    // the first load checks the file on the CPU; int8 is built only once the CPU is the choice,
    // since quantising a big model takes seconds that are wasted when a GPU provider wins
    const probePrecision: CpuPrecision = this.requestedProvider === 'cpu' ? precision : 'fp32'
    const cpuField = await load('cpu', probePrecision)
    let accelerated: OnnxGradientField | null = null
    this.providerChoice = await chooseProvider(this.requestedProvider, async (provider) => {
      if (provider === 'cpu') return
      accelerated = await load(provider, precision)
    })
    if (accelerated) {
      await cpuField.release()
      return accelerated
    }
    if (precision === probePrecision) return cpuField
    await cpuField.release()
    return load('cpu', precision)
  }

  async release(): Promise<void> {
    this.precisions.clear()
    await releaseAll([...this.fields.drain(), ...this.fp32Fields.drain(), ...this.energyModels.drain(), ...this.classifiers.drain(), ...this.vaes.drain()])
  }
}

async function releaseAll(loaded: Promise<{ release(): Promise<void> } | null>[]): Promise<void> {
  for (const session of loaded) {
    try {
      await (await session)?.release()
    } catch {
      // a session that failed to load has nothing to release
    }
  }
}

/** What a loaded field runs in, and why not int8 where int8 was asked for. */
export function loadedPrecision(modelId: string, requested: CpuPrecision, field: OnnxGradientField): LoadedPrecision {
  if (requested !== 'int8' || field.precision === 'int8') return { modelId, precision: field.precision }
  const reason =
    field.provider !== 'cpu'
      ? cpuPrecisionIgnoredOn(field.provider)
      : (field.precisionProblem ?? 'the model was not quantised')
  return { modelId, precision: field.precision, reason }
}
