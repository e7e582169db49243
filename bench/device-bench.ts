import { cpus, loadavg } from 'node:os'
import type { ModelManifest, SamplerSettings } from '../src/shared/manifest'
import type { ProviderName } from '../src/shared/engine-protocol'
import * as ort from 'onnxruntime-node'
import { createSession, GRAPH_STEPS_PER_CALL, OnnxGradientField, type WebGpuTuning } from '../src/engine/onnx-field'
import { OnnxDescentStepper } from '../src/engine/onnx-step'
import type { GradientField } from '../src/engine/gradient-field'
import { descend } from '../src/engine/sampler'
import { SeededRandom } from '../src/engine/rng'
import { differenceFrom, round, timeCalls } from './ort-timing'

/**
 * The device check of issue 13 item 6, as a function (bench/device.ts is its command, and a
 * vitest runs it in its short CPU mode so it cannot rot): for each model, on one provider,
 * the engine's own field and samplers: ms per step per batch size, parity against the CPU
 * provider, and the step graph against the host round trip, for the descent and for the clock.
 */
export interface DeviceBenchModel {
  label: string
  file: string
  manifest: ModelManifest
  batches: number[]
}

export interface DeviceBenchOptions {
  provider: ProviderName
  models: DeviceBenchModel[]
  repeats: number
  /** descent steps timed per path */
  steps: number
  /** samples descended (with CFG: twice as many rows) */
  samples: number
}

export async function runDeviceBench(options: DeviceBenchOptions) {
  const results = []
  for (const model of options.models) results.push(await benchModel(model, options))
  return { date: new Date().toISOString(), provider: options.provider, machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverage: loadavg().map(round) }, models: results }
}

async function benchModel(model: DeviceBenchModel, options: DeviceBenchOptions) {
  const maxRows = Math.max(...model.batches, 2 * options.samples)
  let field: OnnxGradientField
  try {
    field = await OnnxGradientField.load(model.file, model.manifest, options.provider, maxRows, 'graph', 1)
  } catch (error) {
    return { model: model.label, error: (error as Error).message }
  }
  const size = field.sampleSize
  const input = (rows: number, seed: number) => new SeededRandom(seed).fillNormal(new Float32Array(rows * size))
  const msPerCall: Record<string, number> = {}
  for (const batch of model.batches) {
    const x = input(batch, batch)
    const labels = new Int32Array(batch)
    msPerCall[`batch${batch}`] = round(await timeCalls(() => field.evaluate(x, labels, batch), options.repeats, 1))
  }

  // parity: the same rows through the CPU provider
  let parity: { maxAbs: number; maxAbsOfOutput: number } | null = null
  if (options.provider !== 'cpu') {
    const cpu = await OnnxGradientField.load(model.file, model.manifest, 'cpu', maxRows, 'host')
    const x = input(2, 99)
    const labels = Int32Array.of(1, model.manifest.nullClass)
    const [a, b] = [await field.evaluate(x, labels, 2), await cpu.evaluate(x, labels, 2)]
    let maxAbs = 0
    let scale = 0
    for (let i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]))
      scale = Math.max(scale, Math.abs(b[i]))
    }
    parity = { maxAbs: round(maxAbs), maxAbsOfOutput: round(scale) }
    await cpu.release()
  }

  // a CFG descent of `samples` images, fixed step count, on each path
  const hostOnly: GradientField = { sampleSize: size, nullClass: field.nullClass, maxBatchRows: field.maxBatchRows, provider: field.provider, evaluate: (x, l, r) => field.evaluate(x, l, r) }
  const conditions = [{ classIndex: 1, weight: 1 }]
  /** ms per model evaluation of one sampler run through `through` (samples seeded from `seed`) */
  const perEvaluation = async (through: GradientField, sampler: SamplerSettings, evaluations: number, seed: number) => {
    const samples = Array.from({ length: options.samples }, (_, i) => ({ x: input(1, seed + i) }))
    const t = performance.now()
    await descend(through, samples, { ...sampler, conditions, decay: model.manifest.decay })
    return (performance.now() - t) / evaluations
  }
  const descent = (through: GradientField) => perEvaluation(through, { method: 'nag', stepSize: 0.02, mu: 0.3, maxSteps: options.steps, stopGradNorm: 0, cfg: 3 }, options.steps, 1000)
  // the clock (Generate's default on the embedded model): about as many evaluations, two a Heun step
  const clockSteps = Math.ceil((options.steps + 1) / 2)
  const clock = (through: GradientField) => perEvaluation(through, { method: 'clock', stepSize: 0.02, mu: 0.3, maxSteps: clockSteps, stopGradNorm: 0, cfg: 3 }, 2 * clockSteps - 1, 2000)
  /** the faster of two timed runs */
  const best = async (run: (through: GradientField) => Promise<number>, through: GradientField) => Math.min(await run(through), await run(through))
  let descentPath: Record<string, number | string> = { graph: 'not built: ' + (field.stepperProblem ?? 'unknown') }
  let clockPath: Record<string, number | string> = { graph: descentPath.graph }
  if (field.stepper) {
    // K steps a call: the states stay inside the call between steps (device-resident on a GPU)
    const stepperK = await OnnxDescentStepper.load(model.file, model.manifest, options.provider, GRAPH_STEPS_PER_CALL)
    const resident: GradientField = { ...hostOnly, stepper: stepperK }
    for (const path of [field, hostOnly, resident]) await descent(path) // warm-up of every path
    const host = await best(descent, hostOnly)
    const graph = await best(descent, field)
    const graphK = await best(descent, resident)
    // twice the engine's K: what a call's fixed cost (inputs, one wait for the packed output) weighs
    const stepper2K = await OnnxDescentStepper.load(model.file, model.manifest, options.provider, 2 * GRAPH_STEPS_PER_CALL)
    const resident2K: GradientField = { ...hostOnly, stepper: stepper2K }
    await descent(resident2K)
    const graph2K = await best(descent, resident2K)
    await stepper2K.release()
    for (const path of [hostOnly, resident]) await clock(path)
    const clockHost = await best(clock, hostOnly)
    const clockResident = await best(clock, resident)
    await stepperK.release()
    clockPath = {
      samples: options.samples,
      steps: clockSteps,
      evaluationsPerCall: GRAPH_STEPS_PER_CALL,
      hostMsPerEvaluation: round(clockHost),
      residentMsPerEvaluation: round(clockResident),
      hostOverResident: round(clockHost / clockResident)
    }
    descentPath = {
      samples: options.samples,
      rowsPerCall: 2 * options.samples,
      hostMsPerStep: round(host),
      graphMsPerStep: round(graph),
      hostOverGraph: round(host / graph),
      stepsPerCall: GRAPH_STEPS_PER_CALL,
      residentMsPerStep: round(graphK),
      hostOverResident: round(host / graphK),
      residentMsPerStepAt2K: round(graph2K),
      hostOverResidentAt2K: round(host / graph2K)
    }
  }
  await field.release()
  const tuning = await tuningVariants(model, options)
  return { model: model.label, provider: field.provider, msPerCall, parity, descentPath, clockPath, tuning }
}

/**
 * The WebGPU provider's settings (onnx-field.ts WebGpuTuning) against its defaults, at the model's
 * largest timed batch: ms per call and the largest difference from the defaults' output. On the CPU
 * provider (the short mode) only the defaults run, so that the code path is exercised.
 */
async function tuningVariants(model: DeviceBenchModel, options: DeviceBenchOptions) {
  const variants: Record<string, WebGpuTuning> = options.provider === 'webgpu'
    ? { defaults: {}, noValidation: { validationMode: 'disabled' }, nhwc: { preferredLayout: 'NHWC' }, noValidationNhwc: { validationMode: 'disabled', preferredLayout: 'NHWC' } }
    : { defaults: {} }
  const batch = Math.max(...model.batches)
  const [c, h, w] = model.manifest.shape
  const x = new ort.Tensor('float32', new SeededRandom(7).fillNormal(new Float32Array(batch * c * h * w)), [batch, c, h, w])
  const y = new ort.Tensor('int64', new BigInt64Array(batch).fill(1n), [batch])
  const results: Record<string, { msPerCall: number; maxAbsFromDefaults: number } | { error: string }> = {}
  let reference: Float32Array | null = null
  for (const [name, tuning] of Object.entries(variants)) {
    try {
      const session = await createSession(model.file, model.manifest, options.provider, model.label, tuning)
      const run = async () => (await session.run({ x, y })).grad.data as Float32Array
      const output = await run()
      reference ??= output
      results[name] = { msPerCall: round(await timeCalls(run, options.repeats, 1)), maxAbsFromDefaults: round(differenceFrom(reference, output).maxAbs) }
      await session.release()
    } catch (error) {
      results[name] = { error: (error as Error).message.split('\n')[0] }
    }
  }
  return { batch, variants: results }
}
