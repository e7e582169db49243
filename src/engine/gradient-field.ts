/**
 * What a sampler descends: f(x, y) ~ grad E(x | y) for a batch of rows.
 * The ONNX model implements it for real; tests also use analytic fields.
 */
export interface GradientField {
  /** elements per sample: C * H * W */
  readonly sampleSize: number
  /** the class index that means "no condition" (for CFG) */
  readonly nullClass: number
  /** most rows one evaluation may take */
  readonly maxBatchRows: number
  /** the execution provider it runs on, recorded in results (analytic fields have none) */
  readonly provider?: string
  /** the number format its weights run in (quantize-int8.ts), recorded in results where int8 */
  readonly precision?: 'fp32' | 'int8'
  /** x holds rows * sampleSize values, labels holds rows class indices. */
  evaluate(x: Float32Array, labels: Int32Array, rows: number): Promise<Float32Array>
  /** the whole step in one call (guidance, RMS, update), where the field has one and it is switched on */
  readonly stepper?: DescentStepper | null
}

/** Up to K steps of one model evaluation each for S samples in one call (the step graph, step-graph.ts). */
export interface StepInput {
  samples: number
  /** S * size values each */
  state: Float32Array
  fPrev: Float32Array
  freedom: Float32Array
  /** S * R row labels, and per step the R coefficients of each sample's rows (K * R values) */
  labels: Int32Array
  coefficients: Float32Array
  /** per step (K values): x moves by -eta[k] * f; f is evaluated at x - lookahead[k] * f_prev */
  eta: Float32Array
  lookahead: Float32Array
  /** the sampler's stop threshold on the guided RMS (below 0: no stop) */
  stop: number
  /** steps to take in this call, 1..stepsPerCall (the rest of the graph's steps leave states alone) */
  budget: number
  /** guidance by place (sampler.ts farCfg): S flags (1: the sample is still far, guided with
   *  farCoefficients), the R far coefficients, and the RMS under which a sample stops being far */
  far: Float32Array
  farCoefficients: Float32Array
  farUntil: number
  /** partial guidance (DescentOptions.guidedElements): elements where guidedMask is 0 combine the
   *  rows with these R coefficients instead (all ones: guidance everywhere) */
  restCoefficients: Float32Array
  guidedMask: Float32Array
}

export interface StepOutput {
  nextState: Float32Array
  fNext: Float32Array
  /** [K, S]: per step, per sample, RMS of its guided gradient over free elements (also for
   * steps after the sample stopped or past the budget, which the caller ignores) */
  rms: Float32Array
  /** S flags after the call: still far (1) or not (0) */
  farNext: Float32Array
  /** per sample, the energy's first-order change over the call's taken steps: sum of <f, dx> (DescentProgress.energyChanges) */
  energyChange: Float32Array
}

export interface DescentStepper {
  /** K: the steps one call runs at most */
  readonly stepsPerCall: number
  /** the model it steps, named in its errors as the host path names it (analytic steppers have none) */
  readonly modelId?: string
  step(input: StepInput): Promise<StepOutput>
}
