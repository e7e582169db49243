import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { bytesToBase64 } from '../../src/shared/base64'

/** Debian's Fashion-MNIST test images (dataset-fashion-mnist), read once. */
export const FASHION_TEST_IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'
let file: Buffer | null = null
const all = (): Buffer => (file ??= gunzipSync(readFileSync(FASHION_TEST_IMAGES)))

/** The 784 gray bytes of test image `index`. */
export function fashionTestPixels(index: number): Uint8Array {
  return all().subarray(16 + index * 784, 16 + (index + 1) * 784)
}

/** `count` test images from `from` on, as the engine's OOD and calibrate calls take them. */
export function fashionTestImages(from: number, count: number): { name: string; image: { width: number; height: number; channels: number; data: string } }[] {
  return Array.from({ length: count }, (_, i) => ({ name: `test-${from + i}`, image: { width: 28, height: 28, channels: 1, data: bytesToBase64(fashionTestPixels(from + i)) } }))
}

export const FASHION_TEST_LABELS = '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz'
let labels: Buffer | null = null

/** The class (0-9) of test image `index`. */
export function fashionTestLabel(index: number): number {
  return (labels ??= gunzipSync(readFileSync(FASHION_TEST_LABELS)))[8 + index]
}
