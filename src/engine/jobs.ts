import type { Frame } from '../shared/frames'
import type { JobResult, ResultImage, Condition, OodResult, ClassifyResult } from '../shared/jobs'
import { samplerSettingsSchema, describeZodError, type ModelManifest, type SamplerSettings } from '../shared/manifest'
import type { ParsedParams } from '../shared/engine-schemas'
import { base64ToBytes, bytesToBase64 } from '../shared/base64'
import { bytesToValues, valuesToBytes } from '../shared/image-convert'
import type { GradientField } from './gradient-field'
import { descend, planGuidance, type DescentSample, type GuidancePlan, type SampleOutcome } from './sampler'
import { SeededRandom, imageSeed } from './rng'
import { FrameGate } from './frame-gate'
import { buildPreview } from './preview'
import { encodeModelPng } from './image-files'
import { oodScores, percentileOf } from './ood'
import { estimateNoiseLevel, renoiseHeld, restoreHeld } from './held-renoise'
import { EngineError } from './errors'

/** A forward pass to energy values (EqM-E): OnnxEnergyModel, or an analytic one in tests. */
export interface EnergyModel {
  energies(x: Float32Array, labels: ArrayLike<number>, rows: number): Promise<Float32Array>
}

/** The networks a job runs: the gradient field, and the explicit energy where the model has one. */
export interface JobModels {
  field: GradientField
  energy: EnergyModel | null
}

/** What a running job needs from the engine: cancel state and the way to its client. */
export interface JobRuntime {
  isCancelled(): boolean
  frameIntervalMs: number
  sendFrame(frame: Frame): void
  onAck(listener: ((seq: number) => void) | null): void
}

export function resolveSampler(defaults: SamplerSettings, overrides: Partial<SamplerSettings> | undefined): SamplerSettings {
  const merged = samplerSettingsSchema.safeParse({ ...defaults, ...overrides })
  if (!merged.success) throw new EngineError('bad-request', `sampler: ${describeZodError(merged.error)}`)
  return merged.data
}

function checkConditions(conditions: readonly Condition[], manifest: ModelManifest): void {
  for (const c of conditions) {
    if (c.classIndex >= manifest.classes.length) {
      throw new EngineError(
        'bad-request',
        `class index ${c.classIndex} does not exist: ${manifest.id} has ${manifest.classes.length} classes (0-${manifest.classes.length - 1})`
      )
    }
  }
}

function describeConditions(conditions: readonly Condition[], manifest: ModelManifest) {
  return conditions.map((c) => ({ classIndex: c.classIndex, className: manifest.classes[c.classIndex], weight: c.weight }))
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** The most of a job's time that energies for frames may take (previews must stay cheap). */
const ENERGY_TIME_SHARE = 0.1

/** Runs the descent with frames: a preview every `previewEvery` steps through a FrameGate. */
async function descendWithFrames(
  models: JobModels,
  manifest: ModelManifest,
  samples: DescentSample[],
  settings: SamplerSettings,
  conditions: readonly Condition[],
  jobId: string,
  previewEvery: number,
  runtime: JobRuntime,
  /** runs after each step, before its frame (repair re-noises held pixels here) */
  afterStep?: () => void
): Promise<SampleOutcome[]> {
  const gate = new FrameGate(runtime.sendFrame, runtime.frameIntervalMs)
  runtime.onAck((seq) => gate.ack(seq))
  const plan = planGuidance(conditions, settings.cfg, manifest.nullClass)
  const started = performance.now()
  let energyMs = 0
  try {
    return await descend(models.field, samples, {
      ...settings,
      conditions,
      isCancelled: runtime.isCancelled,
      onStep: async ({ step, gradNorms, active }) => {
        const last = active === 0 || step === settings.maxSteps
        if (!last) afterStep?.()
        // a frame is built only when it can go out now (or is the last): a slow window gets
        // the newest state at the first step after its ack. Energies are an extra forward pass
        // (~40% of a sampler step with the shipped EqM-E), so a frame carries them only while
        // they have cost at most ENERGY_TIME_SHARE of the job so far, and the last frame always
        // does (the energy the samples ended at); the plot joins the gaps.
        if (previewEvery > 0 && (step % previewEvery === 0 || last) && (last || gate.wouldSendNow())) {
          let energies: number[] | undefined
          if (models.energy && (last || energyMs <= ENERGY_TIME_SHARE * (performance.now() - started))) {
            const before = performance.now()
            energies = await guidedEnergies(models.energy, samples, plan, models.field.sampleSize)
            energyMs += performance.now() - before
          }
          gate.offer({
            jobId,
            step,
            maxSteps: settings.maxSteps,
            gradNorms: Array.from(gradNorms),
            energies,
            active,
            preview: buildPreview(samples, manifest)
          })
        }
        // lets cancel requests and frame acks in between steps
        await yieldToEventLoop()
      }
    })
  } finally {
    gate.close()
    runtime.onAck(null)
  }
}

/** Each sample's energy under the same guidance as its gradient: E = sum_r k_r E(x, y_r) (energies add). */
async function guidedEnergies(energy: EnergyModel, samples: DescentSample[], plan: GuidancePlan, size: number): Promise<number[]> {
  const rows = samples.length * plan.labels.length
  const x = new Float32Array(rows * size)
  const labels = new Int32Array(rows)
  samples.forEach((sample, i) =>
    plan.labels.forEach((label, r) => {
      x.set(sample.x, (i * plan.labels.length + r) * size)
      labels[i * plan.labels.length + r] = label
    })
  )
  const values = await energy.energies(x, labels, rows)
  return samples.map((_, i) => plan.coefficients.reduce((sum, k, r) => sum + k * values[i * plan.labels.length + r], 0))
}

function finishImages(
  samples: DescentSample[],
  outcomes: SampleOutcome[],
  manifest: ModelManifest,
  seeds: number[],
  paramsFor: (index: number) => Record<string, unknown>
): ResultImage[] {
  const [channels, height, width] = manifest.shape
  return samples.map((sample, i) => {
    const bytes = valuesToBytes(sample.x, manifest.valueRange)
    const png = encodeModelPng(bytes, { channels, width, height }, JSON.stringify(paramsFor(i)))
    return {
      png: bytesToBase64(png),
      width,
      height,
      seed: seeds[i],
      steps: outcomes[i].steps,
      gradNorm: outcomes[i].gradNorm,
      stopped: outcomes[i].stopped
    }
  })
}

export async function runGenerate(
  models: JobModels,
  manifest: ModelManifest,
  params: ParsedParams<'generate'>,
  runtime: JobRuntime
): Promise<JobResult> {
  const started = performance.now()
  checkConditions(params.conditions, manifest)
  const settings = resolveSampler(manifest.sampler, params.sampler)
  const seeds = Array.from({ length: params.count }, (_, i) => imageSeed(params.seed, i))
  const samples = seeds.map((seed) => ({ x: new SeededRandom(seed).fillNormal(new Float32Array(models.field.sampleSize)) }))
  const outcomes = await descendWithFrames(models, manifest, samples, settings, params.conditions, params.jobId, params.previewEvery, runtime)
  const shared = { conditions: describeConditions(params.conditions, manifest), sampler: settings }
  return assembleResult('generate', params, manifest, samples, outcomes, seeds, shared, started)
}

/** The finished job: images with their own seeds and full parameters, and the job's parameters. */
function assembleResult(
  kind: JobResult['kind'],
  params: { jobId: string; seed: number; count: number },
  manifest: ModelManifest,
  samples: DescentSample[],
  outcomes: SampleOutcome[],
  seeds: number[],
  settings: Record<string, unknown>,
  started: number
): JobResult {
  const shared = { kind, modelId: manifest.id, ...settings }
  return {
    jobId: params.jobId,
    kind,
    modelId: manifest.id,
    images: finishImages(samples, outcomes, manifest, seeds, (i) => ({ ...shared, seed: seeds[i], count: 1 })),
    params: { ...shared, seed: params.seed, count: params.count },
    evaluations: outcomes.reduce((n, o) => n + o.steps, 0),
    elapsedMs: performance.now() - started
  }
}

function decodeModelImage(image: { width: number; height: number; channels: number; data: string }, manifest: ModelManifest, what: string, channels = manifest.shape[0]): Uint8Array {
  const [, height, width] = manifest.shape
  if (image.width !== width || image.height !== height || image.channels !== channels) {
    throw new EngineError('image-invalid', `${what} is ${image.width}x${image.height}x${image.channels}, the model takes ${width}x${height}x${channels}`)
  }
  let bytes: Uint8Array
  try {
    bytes = base64ToBytes(image.data)
  } catch {
    throw new EngineError('image-invalid', `${what}: data is not base64`)
  }
  if (bytes.length !== width * height * channels) {
    throw new EngineError('image-invalid', `${what} has ${bytes.length} bytes, expected ${width * height * channels}`)
  }
  return bytes
}

/**
 * Partial denoising: noise is blended into the masked region (x + m s (eps - x), the training
 * interpolation at gamma = 1 - s), then the landscape pulls it back. The noise level is not
 * given to the model; it does not need it.
 */
export async function runRepair(
  models: JobModels,
  manifest: ModelManifest,
  params: ParsedParams<'repair'>,
  runtime: JobRuntime
): Promise<JobResult> {
  const started = performance.now()
  checkConditions(params.conditions, manifest)
  const settings = resolveSampler(manifest.sampler, params.sampler)
  const original = bytesToValues(decodeModelImage(params.image, manifest, 'image'), manifest.valueRange)
  const maskBytes = decodeModelImage(params.mask, manifest, 'mask', 1)
  const plane = maskBytes.length
  const weight = new Float32Array(models.field.sampleSize)
  for (let i = 0; i < weight.length; i++) weight[i] = maskBytes[i % plane] / 255
  const seeds = Array.from({ length: params.count }, (_, i) => imageSeed(params.seed, i))
  const heldNoise: Float32Array[] = []
  const samples: DescentSample[] = seeds.map((seed) => {
    const rng = new SeededRandom(seed)
    const noise = rng.fillNormal(new Float32Array(models.field.sampleSize))
    heldNoise.push(rng.fillNormal(new Float32Array(models.field.sampleSize)))
    const x = new Float32Array(models.field.sampleSize)
    for (let i = 0; i < x.length; i++) x[i] = original[i] + weight[i] * params.strength * (noise[i] - original[i])
    return { x, freedom: params.holdUnmasked ? weight : undefined }
  })
  // held pixels follow the painted region's noise level (see held-renoise.ts); the level is
  // estimated from the image, the strength is never used for it
  const renoise = params.holdUnmasked
    ? () => samples.forEach((sample, i) => renoiseHeld(sample.x, weight, original, heldNoise[i], estimateNoiseLevel(sample.x, weight, manifest.shape)))
    : undefined
  renoise?.()
  const outcomes = await descendWithFrames(models, manifest, samples, settings, params.conditions, params.jobId, params.previewEvery, runtime, renoise)
  if (params.holdUnmasked) for (const sample of samples) restoreHeld(sample.x, weight, original)
  const shared = { conditions: describeConditions(params.conditions, manifest), strength: params.strength, holdUnmasked: params.holdUnmasked, sampler: settings }
  return assembleResult('repair', params, manifest, samples, outcomes, seeds, shared, started)
}

/** What the model's classifier sees in one image: the most probable class and all probabilities. */
export async function runClassify(
  classifier: { probabilities(x: Float32Array): Promise<number[]> },
  manifest: ModelManifest,
  params: ParsedParams<'image.classify'>
): Promise<ClassifyResult> {
  const x = bytesToValues(decodeModelImage(params.image, manifest, 'image'), manifest.valueRange)
  const probabilities = await classifier.probabilities(x)
  const classIndex = probabilities.indexOf(Math.max(...probabilities))
  return { classIndex, probability: probabilities[classIndex], probabilities }
}

export async function runOod(models: JobModels, manifest: ModelManifest, params: ParsedParams<'ood.score'>): Promise<OodResult[]> {
  const images = params.images.map((entry) => bytesToValues(decodeModelImage(entry.image, manifest, entry.name), manifest.valueRange))
  const calibration = manifest.ood ?? { score: 'grad-rms' }
  const scores = calibration.score === 'energy' ? await energyScores(models, manifest, images) : await oodScores(models.field, images, calibration)
  return params.images.map((entry, i) => ({
    name: entry.name,
    score: scores[i],
    flagged: manifest.ood ? scores[i] > manifest.ood.threshold : null,
    percentile: manifest.ood ? percentileOf(scores[i], manifest.ood.quantiles) : null
  }))
}

/** OOD score "energy": the explicit model's unconditional energy at the image. */
async function energyScores(models: JobModels, manifest: ModelManifest, images: Float32Array[]): Promise<number[]> {
  if (!models.energy) throw new EngineError('model-invalid', `${manifest.id}: OOD score "energy" needs files.energy in the manifest`)
  return unconditionalEnergies(models.energy, images, manifest.nullClass, models.field.sampleSize, models.field.maxBatchRows)
}

/** The energy model's unconditional energy of each image, at most `batchRows` images a call. */
export async function unconditionalEnergies(energy: EnergyModel, images: Float32Array[], nullClass: number, size: number, batchRows: number): Promise<number[]> {
  const scores: number[] = []
  for (let start = 0; start < images.length; start += batchRows) {
    const chunk = images.slice(start, start + batchRows)
    const x = new Float32Array(chunk.length * size)
    chunk.forEach((image, i) => x.set(image, i * size))
    scores.push(...(await energy.energies(x, new Int32Array(chunk.length).fill(nullClass), chunk.length)))
  }
  return scores
}
