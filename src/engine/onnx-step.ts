import { readFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import type { ModelManifest } from '../shared/manifest'
import type { ProviderName } from '../shared/engine-protocol'
import type { DescentStepper, StepInput, StepOutput } from './gradient-field'
import { EngineError } from './errors'
import { buildStepModel } from './step-graph'

/** The step model of a gradient model (step-graph.ts), K steps a call, in its own session: the descent's steps or the clock's half-steps. */
export class OnnxDescentStepper implements DescentStepper {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly manifest: ModelManifest,
    readonly stepsPerCall: number
  ) {}

  get modelId(): string {
    return this.manifest.id
  }

  /** `source`: the gradient model's file, or its bytes (the int8 form, quantize-int8.ts) */
  static async load(source: string | Uint8Array, manifest: ModelManifest, provider: ProviderName, stepsPerCall = 1, sessionOptions: ort.InferenceSession.SessionOptions = {}): Promise<OnnxDescentStepper> {
    const gradient = typeof source === 'string' ? readFileSync(source) : source
    const bytes = buildStepModel(gradient, manifest.files.gradient ?? (typeof source === 'string' ? source : manifest.id), stepsPerCall)
    try {
      const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', ...sessionOptions, executionProviders: [provider] })
      return new OnnxDescentStepper(session, manifest, stepsPerCall)
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
      throw new EngineError('model-invalid', `${manifest.id}: the descent-step graph does not load on ${provider}: ${reason}`)
    }
  }

  async step(input: StepInput): Promise<StepOutput> {
    const [c, h, w] = this.manifest.shape
    const size = c * h * w
    const { samples } = input
    const rows = input.labels.length
    const k = this.stepsPerCall
    if (input.eta.length !== k || input.lookahead.length !== k || input.coefficients.length !== k * input.restCoefficients.length) {
      throw new EngineError('bad-request', `${this.manifest.id}: a step call needs ${k} step sizes, look-aheads and coefficient rows`)
    }
    const labels = new BigInt64Array(rows)
    for (let i = 0; i < rows; i++) labels[i] = BigInt(input.labels[i])
    const state = (data: Float32Array) => new ort.Tensor('float32', data.subarray(0, samples * size), [samples, c, h, w])
    let result: ort.InferenceSession.ReturnType
    try {
      result = await this.session.run({
        state: state(input.state),
        f_prev: state(input.fPrev),
        labels: new ort.Tensor('int64', labels, [rows]),
        coefficients: new ort.Tensor('float32', input.coefficients, [k, input.coefficients.length / k]),
        eta: new ort.Tensor('float32', input.eta, [k]),
        lookahead: new ort.Tensor('float32', input.lookahead, [k]),
        freedom: state(input.freedom),
        stop: new ort.Tensor('float32', Float32Array.of(input.stop), []),
        budget: new ort.Tensor('float32', Float32Array.of(input.budget), []),
        far: new ort.Tensor('float32', input.far.subarray(0, samples), [samples]),
        far_coefficients: new ort.Tensor('float32', input.farCoefficients, [input.farCoefficients.length]),
        far_until: new ort.Tensor('float32', Float32Array.of(input.farUntil), []),
        rest_coefficients: new ort.Tensor('float32', input.restCoefficients, [input.restCoefficients.length]),
        guided_mask: new ort.Tensor('float32', input.guidedMask, [c, h, w])
      })
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
      throw new EngineError('model-output', `${this.manifest.id}: the descent step failed to run: ${reason}`)
    }
    // one output (step-graph.ts): next states, f_next, the [K, S] RMS matrix, the far flags and the energy changes, in that order
    const packed = result.packed.data as Float32Array
    const states = samples * size
    const rmsCount = samples * this.stepsPerCall
    if (packed.length !== 2 * states + rmsCount + 2 * samples) throw new EngineError('model-output', `${this.manifest.id}: the descent step returned ${packed.length} values for ${samples} samples and ${this.stepsPerCall} steps`)
    // (a NaN or infinite gradient anywhere in a sample makes that step's RMS non-finite, held
    // elements included: NaN * 0 is NaN; the sampler checks the steps it uses)
    return {
      nextState: packed.subarray(0, states),
      fNext: packed.subarray(states, 2 * states),
      rms: packed.subarray(2 * states, 2 * states + rmsCount),
      farNext: packed.subarray(2 * states + rmsCount, 2 * states + rmsCount + samples),
      energyChange: packed.subarray(2 * states + rmsCount + samples)
    }
  }

  async release(): Promise<void> {
    await this.session.release()
  }
}
