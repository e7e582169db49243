import type { Frame } from '../../shared/frames'
import type { JobResult, ResultImage, Condition, OodResult } from '../../shared/jobs'
import { samplerSettingsSchema, describeZodError, type ModelManifest, type SamplerSettings } from '../../shared/manifest'
import type { ParsedParams } from '../../shared/engine-schemas'
import { base64ToBytes, bytesToBase64 } from '../../shared/base64'
import { bytesToValues, valuesToBytes } from '../../shared/image-convert'
import type { GradientField } from './gradient-field'
import { descend, type DescentSample, type SampleOutcome } from './sampler'
import { SeededRandom, imageSeed } from './rng'
import { FrameGate } from './frame-gate'
import { buildPreview } from './preview'
import { encodeModelPng } from './image-files'
import { oodScores, percentileOf } from './ood'
import { EngineError } from './errors'

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

/** Runs the descent with frames: a preview every `previewEvery` steps through a FrameGate. */
async function descendWithFrames(
  field: GradientField,
  manifest: ModelManifest,
  samples: DescentSample[],
  settings: SamplerSettings,
  conditions: readonly Condition[],
  jobId: string,
  previewEvery: number,
  runtime: JobRuntime
): Promise<SampleOutcome[]> {
  const gate = new FrameGate(runtime.sendFrame, runtime.frameIntervalMs)
  runtime.onAck((seq) => gate.ack(seq))
  try {
    return await descend(field, samples, {
      ...settings,
      conditions,
      isCancelled: runtime.isCancelled,
      onStep: async ({ step, gradNorms, active }) => {
        if (previewEvery > 0 && (step % previewEvery === 0 || active === 0)) {
          gate.offer({
            jobId,
            step,
            maxSteps: settings.maxSteps,
            gradNorms: Array.from(gradNorms),
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
  field: GradientField,
  manifest: ModelManifest,
  params: ParsedParams<'generate'>,
  runtime: JobRuntime
): Promise<JobResult> {
  const started = performance.now()
  checkConditions(params.conditions, manifest)
  const settings = resolveSampler(manifest.sampler, params.sampler)
  const seeds = Array.from({ length: params.count }, (_, i) => imageSeed(params.seed, i))
  const samples = seeds.map((seed) => ({ x: new SeededRandom(seed).fillNormal(new Float32Array(field.sampleSize)) }))
  const outcomes = await descendWithFrames(field, manifest, samples, settings, params.conditions, params.jobId, params.previewEvery, runtime)
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
  field: GradientField,
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
  const weight = new Float32Array(field.sampleSize)
  for (let i = 0; i < weight.length; i++) weight[i] = maskBytes[i % plane] / 255
  const seeds = Array.from({ length: params.count }, (_, i) => imageSeed(params.seed, i))
  const samples: DescentSample[] = seeds.map((seed) => {
    const noise = new SeededRandom(seed).fillNormal(new Float32Array(field.sampleSize))
    const x = new Float32Array(field.sampleSize)
    for (let i = 0; i < x.length; i++) x[i] = original[i] + weight[i] * params.strength * (noise[i] - original[i])
    return { x, freedom: params.holdUnmasked ? weight : undefined }
  })
  const outcomes = await descendWithFrames(field, manifest, samples, settings, params.conditions, params.jobId, params.previewEvery, runtime)
  if (params.holdUnmasked) {
    // held pixels are exactly the input's bytes, not a float round trip of them
    for (const sample of samples) for (let i = 0; i < weight.length; i++) if (weight[i] === 0) sample.x[i] = original[i]
  }
  const shared = { conditions: describeConditions(params.conditions, manifest), strength: params.strength, holdUnmasked: params.holdUnmasked, sampler: settings }
  return assembleResult('repair', params, manifest, samples, outcomes, seeds, shared, started)
}

export async function runOod(field: GradientField, manifest: ModelManifest, params: ParsedParams<'ood.score'>): Promise<OodResult[]> {
  const images = params.images.map((entry) => bytesToValues(decodeModelImage(entry.image, manifest, entry.name), manifest.valueRange))
  const calibration = manifest.ood ?? { score: 'grad-rms' }
  const scores = await oodScores(field, images, calibration)
  return params.images.map((entry, i) => ({
    name: entry.name,
    score: scores[i],
    flagged: manifest.ood ? scores[i] > manifest.ood.threshold : null,
    percentile: manifest.ood ? percentileOf(scores[i], manifest.ood.quantiles) : null
  }))
}
