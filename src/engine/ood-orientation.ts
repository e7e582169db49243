import { EngineError } from './errors'
import { ORIENTATION_COPIES } from '../shared/manifest'

/**
 * The orientation check of the OOD score mahalanobis-align-pair-class-orient. Training images
 * of most datasets share an orientation (shoes point left, photos stand upright), and an image
 * flipped or turned away from it can still look like a plausible image to the field. But then
 * one of its re-oriented copies (turned back) looks more typical than the image itself: the
 * score is the base score times how much more typical the most typical copy is, beyond what a
 * real image shows (the margin, fitted on the calibration images):
 *   score = s(x) * exp(max(0, log s(x) - log min_T s(T x) - margin))
 * Symmetric images (a flipped T-shirt is a T-shirt) are not caught this way, and not penalised:
 * their copies score like them.
 */
export const ORIENTATIONS = ORIENTATION_COPIES
export type Orientation = (typeof ORIENTATIONS)[number]

/** A copy of an image of shape [channels, height, width] flipped or turned counter-clockwise (numpy's flip and rot90 on the last two axes). */
export function reoriented(image: Float32Array, orientation: Orientation, shape: readonly [number, number, number]): Float32Array {
  const [c, h, w] = shape
  if (image.length !== c * h * w) throw new EngineError('bad-request', `an image of ${image.length} values is not of shape ${shape.join('x')}`)
  if ((orientation === 'rot90' || orientation === 'rot270') && h !== w) {
    throw new EngineError('model-invalid', `the OOD orientation check ${orientation} needs square images; this model's are ${h}x${w} (leave ${orientation} out of calibration.orientations)`)
  }
  const out = new Float32Array(image.length)
  // the source pixel of output pixel (y, x)
  const source: Record<Orientation, (y: number, x: number) => number> = {
    hflip: (y, x) => y * w + (w - 1 - x),
    vflip: (y, x) => (h - 1 - y) * w + x,
    rot90: (y, x) => x * w + (w - 1 - y),
    rot180: (y, x) => (h - 1 - y) * w + (w - 1 - x),
    rot270: (y, x) => (h - 1 - x) * w + y
  }
  const from = source[orientation]
  const plane = h * w
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[ch * plane + y * w + x] = image[ch * plane + from(y, x)]
  return out
}

/** Per image: log s(x) - log of its most typical copy's score; positive where a copy looks more typical than the image. */
export function orientationExcess(own: readonly number[], copies: readonly (readonly number[])[]): number[] {
  const log = (v: number) => Math.log(Math.max(v, 1e-12))
  return own.map((s, i) => {
    const best = Math.min(...copies.map((scores) => scores[i]))
    if (!Number.isFinite(best) || !Number.isFinite(s)) throw new EngineError('model-output', `the OOD score of image ${i + 1} or of a re-oriented copy is not finite`)
    return log(s) - log(best)
  })
}

/** Per image, where the check raised its score: the copy that looked most typical and the factor (else undefined). */
export function orientationRaises(own: readonly number[], copies: readonly (readonly number[])[], orientations: readonly Orientation[], margin: number): ({ copy: Orientation; raisedBy: number } | undefined)[] {
  const excess = orientationExcess(own, copies)
  return own.map((_, i) => {
    if (!(excess[i] > margin)) return undefined
    const best = copies.reduce((b, scores, k) => (scores[i] < copies[b][i] ? k : b), 0)
    return { copy: orientations[best], raisedBy: Math.exp(excess[i] - margin) }
  })
}

/** The combined score (see above) from the base scores, the copies' scores and the fitted margin. */
export function withOrientation(own: readonly number[], copies: readonly (readonly number[])[], margin: number): number[] {
  const excess = orientationExcess(own, copies)
  return own.map((s, i) => s * Math.exp(Math.max(0, excess[i] - margin)))
}
