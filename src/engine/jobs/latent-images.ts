import type { PreviewImage } from '../../shared/frames'
import type { ModelManifest } from '../../shared/manifest'
import { valuesToBytes, type ModelSize } from '../../shared/image-convert'
import { buildPreview } from '../preview'
import { EngineError } from '../errors'
import type { OnnxVae } from '../onnx-vae'
import { previewLatent } from '../onnx-vae'
import type { JobModels } from './job-context'

/** Result images of a job: channel-planar 8-bit bytes of one size. */
export interface SampleImages {
  bytes: Uint8Array[]
  size: ModelSize
}

export function requireVae(models: JobModels, manifest: ModelManifest): OnnxVae {
  if (!models.vae) throw new EngineError('model-invalid', `${manifest.id} is a latent model and its VAE is not loaded`)
  return models.vae
}

/**
 * The samples as images: pixel models quantise their values; latent models decode each latent
 * (one at a time: a 256x256 decode holds ~100 MB of activations) and check cancel in between.
 */
export async function sampleImages(models: JobModels, manifest: ModelManifest, samples: readonly { x: Float32Array }[], isCancelled: () => boolean): Promise<SampleImages> {
  if (manifest.space !== 'latent') {
    const [channels, height, width] = manifest.shape
    return { bytes: samples.map((s) => valuesToBytes(s.x, manifest.valueRange)), size: { channels, width, height } }
  }
  const vae = requireVae(models, manifest)
  const [, h, w] = manifest.shape
  const bytes: Uint8Array[] = []
  for (const sample of samples) {
    if (isCancelled()) throw new EngineError('cancelled', 'the job was cancelled')
    bytes.push(valuesToBytes(await vae.decode(sample.x, h, w), vae.manifest.imageRange))
  }
  return { bytes, size: { channels: 3, width: w * vae.manifest.downscale, height: h * vae.manifest.downscale } }
}

/** The most of a job's time that true decodes for live frames may take. */
const DECODE_TIME_SHARE = 0.15
/** live grids of more samples than this use the map only (each decode is a full VAE pass) */
const DECODED_TILES = 4

/**
 * Live previews of a latent model: the VAE's linear preview map (one RGB pixel per latent
 * position, microseconds), or true decodes while they have cost at most DECODE_TIME_SHARE
 * of the job so far.
 */
export class LatentPreviewer {
  private decodeMs = 0
  private readonly started = performance.now()

  constructor(private readonly vae: OnnxVae, private readonly manifest: ModelManifest) {}

  async preview(samples: readonly { x: Float32Array }[]): Promise<PreviewImage> {
    const [, h, w] = this.manifest.shape
    const { imageRange, downscale } = this.vae.manifest
    if (samples.length <= DECODED_TILES && this.decodeMs <= DECODE_TIME_SHARE * (performance.now() - this.started)) {
      const before = performance.now()
      const decoded: { x: Float32Array }[] = []
      for (const sample of samples) decoded.push({ x: await this.vae.decode(sample.x, h, w) })
      this.decodeMs += performance.now() - before
      return buildPreview(decoded, { shape: [3, h * downscale, w * downscale], valueRange: imageRange })
    }
    const mapped = samples.map((s) => ({ x: bytesAsValues(previewLatent(s.x, h, w, this.vae.manifest)) }))
    return buildPreview(mapped, { shape: [3, h, w], valueRange: [0, 255] })
  }
}

function bytesAsValues(bytes: Uint8Array): Float32Array {
  return Float32Array.from(bytes)
}
