/**
 * Repair on a mostly clean photo: the field was trained on images noised uniformly, one level
 * per image, so on a clean photo with a noisy patch it answers for the image's overall (low)
 * level and barely pulls the patch. Each step, the held pixels are therefore re-noised to the
 * patch's current noise level, estimated from the image itself (EqM is still not told the
 * strength); they are restored exactly at the end. Measured: training/REPAIR.md.
 */

import { SeededRandom } from './rng'

/**
 * The start of one repaired image, from its seed: noise of `strength` blended into the painted
 * region, x = p + w s (eps - p) (the training interpolation at gamma = 1 - s), and the second
 * draw the held pixels are re-noised with. Exported so benchmarks start from the same state.
 */
export function repairStart(photo: Float32Array, freedom: Float32Array, strength: number, seed: number): { x: Float32Array; heldNoise: Float32Array } {
  const rng = new SeededRandom(seed)
  const noise = rng.fillNormal(new Float32Array(photo.length))
  const heldNoise = rng.fillNormal(new Float32Array(photo.length))
  const x = new Float32Array(photo.length)
  for (let i = 0; i < x.length; i++) x[i] = photo[i] + freedom[i] * strength * (noise[i] - photo[i])
  return { x, heldNoise }
}

/**
 * Robust noise level of the free region, in value units of eps (x + r (eps - x) has level r):
 * the median absolute horizontal difference between free neighbours, / 0.6745 / sqrt(2).
 * Edges of the image content are outliers the median ignores. 0 when too few pairs.
 */
export function estimateNoiseLevel(x: Float32Array, freedom: Float32Array, shape: readonly [number, number, number]): number {
  const [channels, height, width] = shape
  const diffs: number[] = []
  for (let c = 0; c < channels; c++)
    for (let row = 0; row < height; row++) {
      const base = (c * height + row) * width
      for (let col = 0; col + 1 < width; col++) {
        const i = base + col
        if (freedom[i] > 0.5 && freedom[i + 1] > 0.5) diffs.push(Math.abs(x[i + 1] - x[i]))
      }
    }
  if (diffs.length < 8) return 0
  diffs.sort((a, b) => a - b)
  const mid = diffs.length >> 1
  const median = diffs.length % 2 ? diffs[mid] : (diffs[mid - 1] + diffs[mid]) / 2
  return Math.min(1, median / 0.6745 / Math.SQRT2)
}

/** Held (and partly held) elements become the photo noised to `level`: w x + (1 - w)(p + level (n - p)). */
export function renoiseHeld(x: Float32Array, freedom: Float32Array, photo: Float32Array, noise: Float32Array, level: number): void {
  for (let i = 0; i < x.length; i++) {
    const w = freedom[i]
    if (w >= 1) continue
    const held = photo[i] + level * (noise[i] - photo[i])
    x[i] = w <= 0 ? held : w * x[i] + (1 - w) * held
  }
}

/**
 * The end of a repair: held elements are exactly the photo's values (not a float round trip
 * of them), partly held ones blend back to it by how held they are.
 */
export function restoreHeld(x: Float32Array, freedom: Float32Array, photo: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const w = freedom[i]
    if (w >= 1) continue
    x[i] = w <= 0 ? photo[i] : w * x[i] + (1 - w) * photo[i]
  }
}
