import type { OodCalibration } from '../../shared/manifest'
import type { GradientField } from './gradient-field'
import { freeRms } from './sampler'
import { SeededRandom } from './rng'
import { EngineError } from './errors'

/**
 * Out-of-distribution scores: higher = further from the training data. Data points are
 * minima of the learned energy, where the gradient vanishes, so the gradient's size at an
 * image (unconditional row) says how far it is from the data manifold.
 *   grad-rms:         RMS of f(x, null)
 *   grad-rms-noised:  mean RMS of f((1 - l) x + l eps, null) over calibration.noiseLevels,
 *                     eps from calibration.seeds (fixed, so a score is reproducible)
 */
export const OOD_SCORES = ['grad-rms', 'grad-rms-noised'] as const

export async function oodScores(field: GradientField, images: readonly Float32Array[], calibration: Pick<OodCalibration, 'score' | 'noiseLevels' | 'seeds'>): Promise<number[]> {
  const size = field.sampleSize
  const levels = calibration.score === 'grad-rms' ? [0] : calibration.score === 'grad-rms-noised' ? calibration.noiseLevels ?? [] : null
  if (levels === null) throw new EngineError('model-invalid', `unknown OOD score "${calibration.score}" (known: ${OOD_SCORES.join(', ')})`)
  if (levels.length === 0) throw new EngineError('model-invalid', 'OOD score grad-rms-noised needs calibration.noiseLevels')
  const seeds = calibration.seeds?.length ? calibration.seeds : [0]
  const variants: { level: number; noise: Float32Array | null }[] = []
  for (const level of levels) {
    if (level === 0) variants.push({ level, noise: null })
    else for (const seed of seeds) variants.push({ level, noise: new SeededRandom(seed).fillNormal(new Float32Array(size)) })
  }
  const rowsTotal = images.length * variants.length
  const scores = new Array<number>(images.length).fill(0)
  for (let start = 0; start < rowsTotal; start += field.maxBatchRows) {
    const rows = Math.min(field.maxBatchRows, rowsTotal - start)
    const input = new Float32Array(rows * size)
    for (let r = 0; r < rows; r++) {
      const global = start + r
      const image = images[Math.floor(global / variants.length)]
      const { level, noise } = variants[global % variants.length]
      for (let i = 0; i < size; i++) input[r * size + i] = noise ? (1 - level) * image[i] + level * noise[i] : image[i]
    }
    const output = await field.evaluate(input, new Int32Array(rows).fill(field.nullClass), rows)
    for (let r = 0; r < rows; r++) {
      const global = start + r
      scores[Math.floor(global / variants.length)] += freeRms(output, r * size, size) / variants.length
    }
  }
  return scores
}

/** Where a score falls among in-distribution scores, from the manifest's quantile table (linear between knots). */
export function percentileOf(score: number, quantiles: readonly (readonly [number, number])[]): number {
  const sorted = [...quantiles].sort((a, b) => a[1] - b[1])
  if (score <= sorted[0][1]) return sorted[0][0]
  const last = sorted[sorted.length - 1]
  if (score >= last[1]) return last[0]
  for (let i = 1; i < sorted.length; i++) {
    const [q0, v0] = sorted[i - 1]
    const [q1, v1] = sorted[i]
    if (score <= v1) return v1 === v0 ? q1 : q0 + ((score - v0) / (v1 - v0)) * (q1 - q0)
  }
  return last[0]
}
