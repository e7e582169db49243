import { EngineError } from './errors'
import { ORIENTATION_COPIES } from '../shared/manifest'

/**
 * The copy checks of the OOD scores mahalanobis-align-pair-class-orient, -orient-stretch and
 * -orient-stretch-centre. Training images of most datasets share a way of standing, of being
 * exposed and of being framed: shoes point left, photos stand upright, an item fills the value
 * range from background to highlight and sits in the middle of the frame. An image flipped,
 * turned, dimmed or moved away from that can still look plausible to the field, but then its
 * canonical copy (turned back, stretched back to the full range, moved back to the centre) looks
 * more typical than the image itself. Each check raises the score by how much more typical its most typical
 * copy is, beyond what a real image shows (the margin, fitted on the calibration images):
 *   score = s(x) * prod over checks of exp(max(0, log s(x) - log min_{T in check} s(T x) - margin))
 * Symmetric images (a flipped T-shirt is a T-shirt) and images already at full contrast are
 * not caught this way, and not penalised: their copies score like them.
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

/**
 * The contrast check's copy: the image's values mapped linearly from its own [min, max] onto the
 * model's value range (all channels together, so colours keep their hue). A dimmed or washed-out
 * image comes back to full contrast; an image that already spans the range is left as it is, and a
 * flat one (nothing to stretch) too.
 */
export function stretched(image: Float32Array, valueRange: readonly [number, number]): Float32Array {
  const [low, high] = valueRange
  let min = Infinity
  let max = -Infinity
  for (const v of image) {
    if (!Number.isFinite(v)) throw new EngineError('bad-request', 'an image with a value that is not finite cannot be checked for contrast')
    if (v < min) min = v
    if (v > max) max = v
  }
  // a span under a thousandth of the range is flat: stretching it would only amplify rounding
  if (!(max - min > (high - low) * 1e-3)) return Float32Array.from(image)
  const scale = (high - low) / (max - min)
  return image.map((v) => low + (v - min) * scale)
}

/**
 * The centring check's copy: the image moved by whole pixels so that the centroid of its content
 * (each value's height above the background, the low end of the model's value range; all channels
 * together) lands on the middle of the frame. What leaves the frame is lost and what enters is
 * background; an image with no content (all background) is left as it is.
 */
export function recentred(image: Float32Array, shape: readonly [number, number, number], background: number): Float32Array {
  const [c, h, w] = shape
  if (image.length !== c * h * w) throw new EngineError('bad-request', `an image of ${image.length} values is not of shape ${shape.join('x')}`)
  const plane = h * w
  let mass = 0
  let sumY = 0
  let sumX = 0
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = image[ch * plane + y * w + x]
        if (!Number.isFinite(v)) throw new EngineError('bad-request', 'an image with a value that is not finite cannot be checked for centring')
        const weight = Math.max(0, v - background)
        mass += weight
        sumY += weight * y
        sumX += weight * x
      }
    }
  }
  if (!(mass > 0)) return Float32Array.from(image)
  const dy = Math.round((h - 1) / 2 - sumY / mass)
  const dx = Math.round((w - 1) / 2 - sumX / mass)
  const out = new Float32Array(image.length).fill(background)
  for (let ch = 0; ch < c; ch++) {
    for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
      for (let x = Math.max(0, dx); x < Math.min(w, w + dx); x++) out[ch * plane + y * w + x] = image[ch * plane + (y - dy) * w + (x - dx)]
    }
  }
  return out
}

/** Per image: log s(x) - log of its most typical copy's score; positive where a copy looks more typical than the image. */
export function copyExcess(own: readonly number[], copies: readonly (readonly number[])[]): number[] {
  const log = (v: number) => Math.log(Math.max(v, 1e-12))
  return own.map((s, i) => {
    const best = Math.min(...copies.map((scores) => scores[i]))
    if (!Number.isFinite(best) || !Number.isFinite(s)) throw new EngineError('model-output', `the OOD score of image ${i + 1} or of a copy of it is not finite`)
    return log(s) - log(best)
  })
}

/** A raise under this factor is left unreported: a copy that differs from the image by rounding (an image at 254 of 255) moves its score by a few percent, which is no finding. */
export const NOTED_RAISE = 1.05

/** Per image, where a check raised its score by at least NOTED_RAISE: the copy that looked most typical and the factor (else undefined). */
export function copyRaises<Copy extends string>(own: readonly number[], copies: readonly (readonly number[])[], names: readonly Copy[], margin: number): ({ copy: Copy; raisedBy: number } | undefined)[] {
  const excess = copyExcess(own, copies)
  return own.map((_, i) => {
    if (!(excess[i] - margin >= Math.log(NOTED_RAISE))) return undefined
    const best = copies.reduce((b, scores, k) => (scores[i] < copies[b][i] ? k : b), 0)
    return { copy: names[best], raisedBy: Math.exp(excess[i] - margin) }
  })
}

/** One check's part of the score: its copies' base scores and its fitted margin. */
export interface CopyCheck {
  copies: readonly (readonly number[])[]
  margin: number
}

/** The combined score (see above) from the base scores and each check. */
export function withCopyChecks(own: readonly number[], checks: readonly CopyCheck[]): number[] {
  const excesses = checks.map((check) => copyExcess(own, check.copies))
  return own.map((s, i) => checks.reduce((score, check, k) => score * Math.exp(Math.max(0, excesses[k][i] - check.margin)), s))
}
