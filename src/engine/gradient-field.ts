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
  /** x holds rows * sampleSize values, labels holds rows class indices. */
  evaluate(x: Float32Array, labels: Int32Array, rows: number): Promise<Float32Array>
}
