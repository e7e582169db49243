import { readFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import type { ModelManifest } from '../shared/manifest'
import type { ProviderName } from '../shared/engine-protocol'
import type { CpuPrecision } from '../shared/settings'
import type { DescentStepper, GradientField } from './gradient-field'
import { EngineError, nonFiniteGradients } from './errors'
import { OnnxDescentStepper } from './onnx-step'
import { quantizeInt8, type Int8Model } from './quantize-int8'
import { externalDataBeside } from './external-data'
import type { Int8Cache } from './int8-cache'

/**
 * How a descent step runs: 'host' evaluates the network and does guidance, RMS and update in JS
 * (sampler.ts); 'graph' runs the whole step as one model call (step-graph.ts). 'auto' takes the
 * graph on GPU providers, where every host round trip costs a transfer, and the host path on the
 * CPU, where the bench measured no gain from it (README, Performance).
 */
export type DescentPath = 'auto' | 'host' | 'graph'

/**
 * Steps one call of the step graph runs on the graph path (step-graph.ts): the states cross to
 * the host once per this many steps, and frames and cancel checks come as often. 5 divides the
 * usual step caps (25, 50, 100); the step-by-step test runs 1 and 4.
 */
export const GRAPH_STEPS_PER_CALL = 5

export function resolveDescentPath(path: DescentPath, provider: ProviderName): 'host' | 'graph' {
  if (path !== 'auto') return path
  return provider === 'cpu' ? 'host' : 'graph'
}

/** The contract of docs/method.md §1: x float32 [B,C,H,W], y int64 [B] -> grad float32 [B,C,H,W]. */
// onnxruntime logs every failed provider probe to stderr; the reasons reach the user through
// engine.info instead, so only fatal messages are printed.
ort.env.logLevel = 'fatal'

export class OnnxGradientField implements GradientField {
  readonly sampleSize: number
  readonly nullClass: number

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly manifest: ModelManifest,
    readonly maxBatchRows: number,
    readonly provider: ProviderName,
    readonly stepper: (DescentStepper & { release(): Promise<void> }) | null,
    /** why the step graph is not used where it was asked for (shown by benchmarks) */
    readonly stepperProblem: string | null,
    /** the number format it runs in: int8 only where asked for, on the CPU, and quantised */
    readonly precision: 'fp32' | 'int8' = 'fp32',
    /** why it runs fp32 where int8 was asked for on the CPU */
    readonly precisionProblem: string | null = null
  ) {
    const [c, h, w] = manifest.shape
    this.sampleSize = c * h * w
    this.nullClass = manifest.nullClass
  }

  static async load(
    file: string,
    manifest: ModelManifest,
    provider: ProviderName,
    maxBatchRows = 64,
    descentPath: DescentPath = 'auto',
    stepsPerCall = GRAPH_STEPS_PER_CALL,
    cpuPrecision: CpuPrecision = 'fp32',
    /** where int8 models are kept between loads (int8-cache.ts); without it each int8 load quantises */
    int8Cache: Int8Cache | null = null
  ): Promise<OnnxGradientField> {
    // int8 is a CPU option: the other providers get the model as exported (their int8 kernels,
    // where they have any, are not what quantize-int8.ts was measured on)
    const int8 = cpuPrecision === 'int8' && provider === 'cpu' ? await int8Session(file, manifest, int8Cache) : null
    const quantised = int8 && 'session' in int8 ? int8 : null
    const session = quantised?.session ?? (await createSession(file, manifest, provider))
    checkSignature(session, manifest)
    let stepper: OnnxDescentStepper | null = null
    let stepperProblem: string | null = null
    if (resolveDescentPath(descentPath, provider) === 'graph') {
      // a model the step builder cannot extend still runs, on the host path
      try {
        stepper = await OnnxDescentStepper.load(quantised?.bytes ?? file, manifest, provider, stepsPerCall)
      } catch (error) {
        stepperProblem = error instanceof Error ? error.message : String(error)
      }
    }
    const precisionProblem = int8 && 'problem' in int8 ? int8.problem : null
    const field = new OnnxGradientField(session, manifest, maxBatchRows, provider, stepper, stepperProblem, quantised ? 'int8' : 'fp32', precisionProblem)
    // One real evaluation at load: a provider that creates sessions but cannot run them, or
    // a model that returns NaN, is found here rather than in the user's first job.
    const probe = new Float32Array(field.sampleSize)
    await field.evaluate(probe, Int32Array.of(manifest.nullClass), 1)
    return field
  }

  async evaluate(x: Float32Array, labels: Int32Array, rows: number): Promise<Float32Array> {
    const [c, h, w] = this.manifest.shape
    const y = new BigInt64Array(rows)
    for (let i = 0; i < rows; i++) y[i] = BigInt(labels[i])
    let output: ort.Tensor
    try {
      const result = await this.session.run({
        x: new ort.Tensor('float32', x.subarray(0, rows * this.sampleSize), [rows, c, h, w]),
        y: new ort.Tensor('int64', y, [rows])
      })
      output = result.grad
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
      throw new EngineError('model-output', `${this.manifest.id}: the model failed to run: ${reason}`)
    }
    const dims = output.dims.join('x')
    if (dims !== [rows, c, h, w].join('x')) {
      throw new EngineError('model-output', `${this.manifest.id}: output grad has shape ${dims}, expected ${[rows, c, h, w].join('x')}`)
    }
    const data = output.data as Float32Array
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw nonFiniteGradients(this.manifest.id)
      }
    }
    return data
  }

  async release(): Promise<void> {
    await this.session.release()
    await this.stepper?.release()
  }
}

/**
 * The gradient model quantised to int8 (quantize-int8.ts) in a CPU session, or why not: a model
 * the quantiser refuses, or that has nothing to quantise, or whose int8 form does not load, runs
 * fp32 (and its results say fp32), as a model the step builder refuses keeps the host path.
 * With a cache, a model quantised before is read from it (int8-cache.ts).
 */
async function int8Session(file: string, manifest: ModelManifest, cache: Int8Cache | null): Promise<{ session: ort.InferenceSession; bytes: Uint8Array } | { problem: string }> {
  const fileName = manifest.files.gradient ?? file
  const open = async (quantised: Int8Model) => (quantised.matMuls + quantised.gemms === 0 ? null : createSession(quantised.model, manifest, 'cpu', `the int8 form of ${file}`))
  try {
    const { model, opened } = cache ? await cache.open(file, fileName, open) : await openQuantised(file, fileName, open)
    if (!opened) return { problem: `${manifest.id}: no MatMul or Gemm with constant weights to quantise` }
    return { session: opened, bytes: model.model }
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) }
  }
}

async function openQuantised<T>(file: string, fileName: string, open: (model: Int8Model) => Promise<T>): Promise<{ model: Int8Model; opened: T }> {
  const model = quantizeInt8(readFileSync(file), fileName, externalDataBeside(file))
  return { model, opened: await open(model) }
}

/**
 * Settings of the WebGPU provider that the device check times against onnxruntime's defaults
 * (bench/device-bench.ts): Dawn's per-dispatch validation ('basic' by default in release builds),
 * and the layout of convolutions. The engine runs the defaults until a lent GPU has measured them.
 */
export interface WebGpuTuning {
  validationMode?: 'disabled' | 'wgpuOnly' | 'basic' | 'full'
  preferredLayout?: 'NCHW' | 'NHWC'
}

function executionProvider(provider: ProviderName, tuning: WebGpuTuning): ort.InferenceSession.ExecutionProviderConfig {
  return provider === 'webgpu' && Object.keys(tuning).length > 0 ? { name: 'webgpu', ...tuning } : provider
}

/** A session on one provider; a file that does not load is the model's problem, said so. */
export async function createSession(source: string | Uint8Array, manifest: ModelManifest, provider: ProviderName, what = String(source), tuning: WebGpuTuning = {}): Promise<ort.InferenceSession> {
  try {
    const options: ort.InferenceSession.SessionOptions = { executionProviders: [executionProvider(provider, tuning)], graphOptimizationLevel: 'all' }
    return await (typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source, options))
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new EngineError('model-invalid', `${manifest.id}: cannot load ${what} on ${provider}: ${reason}`)
  }
}

/** A session whose input and output names are checked: x, y -> energy; x -> logits; ... */
export async function createCheckedSession(file: string, fileName: string | undefined, manifest: ModelManifest, provider: ProviderName, inputs: readonly string[], output: string): Promise<ort.InferenceSession> {
  const session = await createSession(file, manifest, provider)
  if (!inputs.every((name) => session.inputNames.includes(name)) || !session.outputNames.includes(output)) {
    throw new EngineError('model-invalid', `${manifest.id}: ${fileName} must take ${inputs.join(' and ')} and output ${output} (it takes ${session.inputNames.join(', ')} and outputs ${session.outputNames.join(', ')})`)
  }
  return session
}

function checkSignature(session: ort.InferenceSession, manifest: ModelManifest): void {
  const [c, h, w] = manifest.shape
  const problem = (text: string): never => {
    throw new EngineError('model-invalid', `${manifest.id}: ${manifest.files.gradient} ${text}`)
  }
  const inputs = new Map(session.inputMetadata.map((m) => [m.name, m]))
  const outputs = new Map(session.outputMetadata.map((m) => [m.name, m]))
  const x = inputs.get('x')
  const y = inputs.get('y')
  const grad = outputs.get('grad')
  if (!x || !y) problem(`must take inputs x and y; it takes ${[...inputs.keys()].join(', ') || 'none'}`)
  if (!grad) problem(`must output grad; it outputs ${[...outputs.keys()].join(', ') || 'nothing'}`)
  for (const [name, meta, type, shape] of [
    ['x', x, 'float32', [c, h, w]],
    ['grad', grad, 'float32', [c, h, w]],
    ['y', y, 'int64', []]
  ] as const) {
    if (!meta?.isTensor) problem(`${name} must be a tensor`)
    if (meta!.isTensor && meta!.type !== type) problem(`${name} is ${meta!.type}, expected ${type}`)
    if (meta!.isTensor && meta!.shape.length > 0) {
      const declared = meta!.shape.slice(1)
      const fixed = declared.map((d) => (typeof d === 'number' ? d : null))
      if (declared.length !== shape.length || fixed.some((d, i) => d !== null && d > 0 && d !== shape[i])) {
        problem(`${name} has shape [${meta!.shape.join(', ')}], the manifest promises [B, ${shape.join(', ')}]`.replace(', ]', ']'))
      }
    }
  }
}
