import * as ort from 'onnxruntime-node'
import type { ProviderName } from '../shared/engine-protocol'
import type { VaeManifest } from '../shared/vae-manifest'
import { EngineError } from './errors'
import type { VaeEntry } from './vae-registry'

/**
 * The autoencoder of latent models (written by eqm import-vae):
 *   encoder: image float32 [B,3,H,W] in [-1,1] -> latent [B,C,H/d,W/d] (posterior mean x scale)
 *   decoder: latent [B,C,h,w] -> image [B,3,h*d,w*d] (the scale undone inside)
 * Spatial sizes are dynamic; one image a call keeps memory to one image's activations.
 */
export class OnnxVae {
  private constructor(
    readonly manifest: VaeManifest,
    private readonly encoder: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession
  ) {}

  static async load(entry: VaeEntry, provider: ProviderName): Promise<OnnxVae> {
    const open = async (file: string, input: string, output: string) => {
      let session: ort.InferenceSession
      try {
        session = await ort.InferenceSession.create(file, { executionProviders: [provider], graphOptimizationLevel: 'all' })
      } catch (error) {
        throw new EngineError('model-invalid', `VAE ${entry.manifest.id}: cannot load ${file} on ${provider}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
      }
      if (!session.inputNames.includes(input) || !session.outputNames.includes(output)) {
        throw new EngineError('model-invalid', `VAE ${entry.manifest.id}: ${file} must take ${input} and output ${output} (it takes ${session.inputNames.join(', ')})`)
      }
      return session
    }
    const encoder = await open(entry.encoderFile, 'image', 'latent')
    const decoder = await open(entry.decoderFile, 'latent', 'image')
    return new OnnxVae(entry.manifest, encoder, decoder)
  }

  /** One latent [C,h,w] to its image [3, h*d, w*d] in the VAE's image range. */
  async decode(latent: Float32Array, height: number, width: number): Promise<Float32Array> {
    const c = this.manifest.latentChannels
    const d = this.manifest.downscale
    return this.run(this.decoder, 'latent', 'image', latent, [1, c, height, width], [1, 3, height * d, width * d])
  }

  /** One image [3,H,W] in [-1,1] (H, W multiples of the downscale) to its latent [C, H/d, W/d]. */
  async encode(image: Float32Array, height: number, width: number): Promise<Float32Array> {
    const d = this.manifest.downscale
    if (height % d || width % d) throw new EngineError('bad-request', `VAE ${this.manifest.id} encodes sides that are multiples of ${d}, got ${width}x${height}`)
    return this.run(this.encoder, 'image', 'latent', image, [1, 3, height, width], [1, this.manifest.latentChannels, height / d, width / d])
  }

  private async run(session: ort.InferenceSession, input: string, output: string, data: Float32Array, dims: number[], expected: number[]): Promise<Float32Array> {
    let result: ort.Tensor
    try {
      result = (await session.run({ [input]: new ort.Tensor('float32', data, dims) }))[output]
    } catch (error) {
      throw new EngineError('model-output', `VAE ${this.manifest.id}: the ${output === 'image' ? 'decoder' : 'encoder'} failed to run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
    }
    if (result.dims.join('x') !== expected.join('x')) {
      throw new EngineError('model-output', `VAE ${this.manifest.id}: ${output} has shape ${result.dims.join('x')}, expected ${expected.join('x')}`)
    }
    const values = result.data as Float32Array
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new EngineError('model-output', `VAE ${this.manifest.id}: the ${output === 'image' ? 'decoder' : 'encoder'} returned NaN or infinite values`)
    }
    return values
  }

  async release(): Promise<void> {
    await this.encoder.release()
    await this.decoder.release()
  }
}

/**
 * The cheap live view: each latent position mapped to one RGB pixel by the VAE's least-squares
 * preview map (rgb = M latent + b), as 8-bit bytes, channel-planar [3, h, w].
 */
export function previewLatent(latent: Float32Array, height: number, width: number, vae: VaeManifest): Uint8Array {
  const { matrix, bias } = vae.preview
  const [low, high] = vae.imageRange
  const plane = height * width
  const channels = vae.latentChannels
  const out = new Uint8Array(3 * plane)
  const scale = 255 / (high - low)
  for (let p = 0; p < plane; p++) {
    for (let rgb = 0; rgb < 3; rgb++) {
      let v = bias[rgb]
      for (let c = 0; c < channels; c++) v += matrix[rgb][c] * latent[c * plane + p]
      const byte = (v - low) * scale
      out[rgb * plane + p] = byte < 0 ? 0 : byte > 255 ? 255 : Math.round(byte)
    }
  }
  return out
}
