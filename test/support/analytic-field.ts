import type { GradientField } from '../../src/engine/gradient-field'

/**
 * f(x, y) = grad of 1/2 ||x - mu_y||^2 = x - mu_y, optionally cubed for a nonlinear field.
 * Counts the rows it is asked for, so tests can see compute that was (not) spent.
 */
export class AnalyticField implements GradientField {
  rowsEvaluated = 0
  calls = 0
  constructor(
    readonly means: Float32Array[],
    readonly nullClass: number,
    readonly maxBatchRows = 64,
    private readonly cubic = false
  ) {}

  get sampleSize(): number {
    return this.means[0].length
  }

  async evaluate(x: Float32Array, labels: Int32Array, rows: number): Promise<Float32Array> {
    this.calls++
    this.rowsEvaluated += rows
    const size = this.sampleSize
    const out = new Float32Array(rows * size)
    for (let r = 0; r < rows; r++) {
      const mu = this.means[labels[r]]
      for (let i = 0; i < size; i++) {
        const d = x[r * size + i] - mu[i]
        out[r * size + i] = this.cubic ? d * d * d + 0.5 * d : d
      }
    }
    return out
  }
}

export function constantMean(size: number, value: number): Float32Array {
  return new Float32Array(size).fill(value)
}
