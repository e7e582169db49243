import type { ModelManifest } from '../../shared/manifest'
import { base64ToBytes } from '../../shared/base64'
import { EngineError } from '../errors'

/** A wire image (base64, channel-planar) checked against the model's size; `what` names it in errors. */
export function decodeModelImage(
  image: { width: number; height: number; channels: number; data: string },
  manifest: ModelManifest,
  what: string,
  channels = imageShapeOf(manifest)[0]
): Uint8Array {
  const [, height, width] = imageShapeOf(manifest)
  if (image.width !== width || image.height !== height || image.channels !== channels) {
    throw new EngineError('image-invalid', `${what} is ${image.width}x${image.height}x${image.channels}, the model takes ${width}x${height}x${channels}`)
  }
  let bytes: Uint8Array
  try {
    bytes = base64ToBytes(image.data)
  } catch {
    throw new EngineError('image-invalid', `${what}: data is not base64`)
  }
  if (bytes.length !== width * height * channels) {
    throw new EngineError('image-invalid', `${what} has ${bytes.length} bytes, expected ${width * height * channels}`)
  }
  return bytes
}

/** The images a model's jobs take and give: its shape, or for latent models the VAE's decoded size. */
export function imageShapeOf(manifest: ModelManifest): readonly [number, number, number] {
  return manifest.space === 'latent' && manifest.latent ? manifest.latent.imageShape : manifest.shape
}
