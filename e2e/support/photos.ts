import { existsSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { ROOT } from './web-server'

const TEST_IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'

/** The i-th Fashion-MNIST test image (28x28 gray), from Debian's dataset-fashion-mnist. */
export function fashionTestImage(index: number): Uint8Array {
  const data = gunzipSync(readFileSync(TEST_IMAGES))
  return data.subarray(16 + index * 784, 16 + (index + 1) * 784)
}

/**
 * A photo for repair specs, at the model's own size (so the conversion is exact): a
 * Fashion-MNIST test image with the shipped model, uniform mid-gray (the analytic test
 * field's unconditional minimum) with the fixture.
 */
export async function testPhoto(): Promise<{ png: Buffer; gray: Uint8Array; width: number; height: number }> {
  const shipped = existsSync(join(ROOT, 'models', 'fashion-mnist', 'manifest.json'))
  const width = shipped ? 28 : 8
  const gray = shipped ? fashionTestImage(0) : new Uint8Array(64).fill(128)
  const png = new PNG({ width, height: width })
  for (let i = 0; i < gray.length; i++) {
    png.data[i * 4] = png.data[i * 4 + 1] = png.data[i * 4 + 2] = gray[i]
    png.data[i * 4 + 3] = 255
  }
  return { png: PNG.sync.write(png), gray, width, height: width }
}
