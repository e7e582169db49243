import { PNG } from 'pngjs'

/**
 * How varied a set of samples is (training/COMPOSE.md, "Variety with a negative weight"): the
 * mean, over every unordered pair of images, of the RMS difference of their pixel values in
 * [0, 1]. Identical samples score 0; two images, one all black and one all white, score 1.
 */

/** sqrt(mean over pixels of (a - b)^2), both images the same length. */
export function rmsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`rmsDifference: images of ${a.length} and ${b.length} values`)
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2
  return Math.sqrt(sum / a.length)
}

/** The mean of rmsDifference over all n(n-1)/2 pairs i < j (8 images: 28 pairs). */
export function meanPairwiseRms(images: readonly ArrayLike<number>[]): number {
  if (images.length < 2) throw new Error(`meanPairwiseRms needs two or more images, got ${images.length}`)
  let sum = 0
  let pairs = 0
  for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      sum += rmsDifference(images[i], images[j])
      pairs++
    }
  }
  return sum / pairs
}

/**
 * A result PNG (what the CLI writes to disk) as its 8-bit values / 255, channel-planar, for
 * `channels` colour channels (1: grey, read from the red channel of the decoded RGBA).
 */
export function pngToUnit(png: Uint8Array, channels: 1 | 3): Float32Array {
  const { width, height, data } = PNG.sync.read(Buffer.from(png))
  const plane = width * height
  const out = new Float32Array(plane * channels)
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane; i++) out[c * plane + i] = data[i * 4 + c] / 255
  }
  return out
}
