import type { Sharp, SharpOptions } from 'sharp'
import type { Condition } from '../../shared/jobs'
import type { ModelManifest, SamplerSettings } from '../../shared/manifest'
import type { ResultParams } from '../../shared/result-params'
import type { RgbaImage } from '../../shared/image-convert'
import { EngineError } from '../errors'
import { blendInto, contextRect, cropPlane, featherAlpha, maskToLatent, paintedBounds, type Rect } from '../photo-context'
import type { SampleOutcome } from '../sampler'
import { checkConditions, commonResultParams, repairSamplerDefaults, resolveSampler, type JobModels, type JobRuntime } from './job-context'
import { descendHeld } from './held-descent'
import { requireVae } from './latent-images'

export interface PhotoRepairParams {
  jobId: string
  /** the photo as decoded in the working format (8-bit sRGB, EXIF orientation applied) */
  photo: RgbaImage
  /** one byte a photo pixel: 0 = keep, 255 = fully noised */
  mask: Uint8Array
  strength: number
  holdUnmasked: boolean
  conditions: Condition[]
  seed: number
  count: number
  sampler?: Partial<SamplerSettings>
  /** photo pixels of context around the painted region; raised to the feather when smaller */
  padding: number
  /** side of the context square in photo pixels (0: the region plus padding, at least the model's side) */
  contextSize: number
  /** width of the blend's soft edge outside the painted region, photo pixels */
  feather: number
  previewEvery: number
}

/** Each repaired image: the context square of the photo with the repair blended in. */
export interface PhotoRepairResult {
  rect: Rect
  /** rect-sized RGBA, pixel-interleaved: paste at rect into the photo to get the repaired photo */
  patches: { rgba: Uint8Array; seed: number; steps: number; gradNorm: number; stopped: SampleOutcome['stopped'] }[]
  params: ResultParams
  elapsedMs: number
}

/**
 * Repair of a photo at its own size with a latent model: the context square around the painted
 * region is brought to the model's image size, encoded, descended with the unpainted latent cells
 * held (re-noised to the painted cells' level, restored at the end), decoded, brought back and
 * blended into the photo where painted, feathered. The full-size photo is never copied here: the
 * result is the context square only.
 */
export async function runPhotoRepair(models: JobModels, manifest: ModelManifest, params: PhotoRepairParams, runtime: JobRuntime): Promise<PhotoRepairResult> {
  const started = performance.now()
  // sharp (libvips) is loaded only by what resizes or decodes photos, never at engine start
  const sharp = (await import('sharp')).default as (input: Buffer, options: SharpOptions) => Sharp
  if (manifest.space !== 'latent' || !manifest.latent) throw new EngineError('bad-request', `${manifest.id} is not a latent model: repair its model-sized image with "repair"`)
  const vae = requireVae(models, manifest)
  checkConditions(params.conditions, manifest)
  const settings = resolveSampler(repairSamplerDefaults(manifest), params.sampler)
  const { photo, mask } = params
  if (photo.data.length !== photo.width * photo.height * 4) throw new EngineError('image-invalid', `the photo has ${photo.data.length} bytes, expected ${photo.width * photo.height * 4}`)
  if (mask.length !== photo.width * photo.height) throw new EngineError('image-invalid', `the mask has ${mask.length} pixels, the photo ${photo.width}x${photo.height}`)
  const [, side, sideWidth] = manifest.latent.imageShape
  if (side !== sideWidth) throw new EngineError('model-invalid', `${manifest.id}: photo repair needs a square image shape, the model has ${sideWidth}x${side}`)
  const region = paintedBounds(mask, photo.width, photo.height)
  if (!region) throw new EngineError('bad-request', 'the mask paints nothing: paint the region to repair')
  const feather = Math.max(0, Math.round(params.feather))
  const padding = Math.max(Math.round(params.padding), feather)
  const rect = contextRect(region, photo.width, photo.height, { padding, contextSize: params.contextSize, modelSide: side })
  // the painted region and its feather must lie inside the one context square, or paint outside it would be ignored
  const inside = (a: number, length: number, start: number, size: number, limit: number) => Math.max(0, a - feather) >= start && Math.min(limit, a + length + feather) <= start + size
  if (!inside(region.x, region.width, rect.x, rect.width, photo.width) || !inside(region.y, region.height, rect.y, rect.height, photo.height)) {
    throw new EngineError('bad-request', `the painted region (${region.width}x${region.height} at ${region.x},${region.y}) and its ${feather}px feather do not fit one square context of this ${photo.width}x${photo.height} photo (at most ${rect.width}x${rect.height}): repair it in parts`)
  }

  // the context, brought to the model's size (area-averaged down; upsampled only for a photo smaller than the model)
  const photoCrop = await sharp(Buffer.from(photo.data.buffer, photo.data.byteOffset, photo.data.byteLength), { raw: { width: photo.width, height: photo.height, channels: 4 } })
    .extract({ left: rect.x, top: rect.y, width: rect.width, height: rect.height })
    .removeAlpha()
    .resize(side, side, { kernel: 'lanczos3' })
    .raw()
    .toBuffer()
  const maskCrop = cropPlane(mask, photo.width, rect)
  const maskSmall = rect.width === side ? maskCrop : await resizePlane(sharp, maskCrop, rect.width, side)
  const [channels, latentSide] = manifest.shape
  const image = new Float32Array(3 * side * side)
  const plane = side * side
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) image[c * plane + i] = (photoCrop[i * 3 + c] / 255) * 2 - 1
  const original = await vae.encode(image, side, side)
  const cellWeight = maskToLatent(maskSmall, side, vae.manifest.downscale)
  const size = models.field.sampleSize
  const weight = new Float32Array(size)
  for (let c = 0; c < channels; c++) weight.set(cellWeight, c * latentSide * latentSide)

  const { samples, outcomes, seeds } = await descendHeld({ models, manifest, runtime, settings, params }, original, weight)

  const alpha = featherAlpha(maskCrop, rect.width, rect.height, feather)
  const patches: PhotoRepairResult['patches'] = []
  for (let s = 0; s < samples.length; s++) {
    if (runtime.isCancelled()) throw new EngineError('cancelled', 'the job was cancelled')
    const decoded = await vae.decode(samples[s].x, latentSide, latentSide)
    const rgb = Buffer.alloc(plane * 3)
    for (let i = 0; i < plane; i++)
      for (let c = 0; c < 3; c++) {
        const v = ((decoded[c * plane + i] + 1) / 2) * 255
        rgb[i * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v)
      }
    const back = rect.width === side ? rgb : await sharp(rgb, { raw: { width: side, height: side, channels: 3 } }).resize(rect.width, rect.height, { kernel: 'lanczos3' }).raw().toBuffer()
    const patch = new Uint8Array(rect.width * rect.height * 4)
    for (let y = 0; y < rect.height; y++) patch.set(photo.data.subarray(((rect.y + y) * photo.width + rect.x) * 4, ((rect.y + y) * photo.width + rect.x + rect.width) * 4), y * rect.width * 4)
    blendInto(patch, rect.width, { x: 0, y: 0, width: rect.width, height: rect.height }, back, alpha)
    const outcome = outcomes[s]
    patches.push({ rgba: patch, seed: seeds[s], steps: outcome.steps, gradNorm: outcome.gradNorm, stopped: outcome.stopped })
  }
  const resultParams: ResultParams = {
    ...commonResultParams('repair', manifest, params, settings, models),
    strength: params.strength,
    holdUnmasked: params.holdUnmasked,
    context: { ...rect, padding, feather }
  }
  return { rect, patches, params: resultParams, elapsedMs: performance.now() - started }
}

async function resizePlane(sharp: (input: Buffer, options: SharpOptions) => Sharp, plane: Uint8Array, from: number, to: number): Promise<Uint8Array> {
  const out = await sharp(Buffer.from(plane.buffer, plane.byteOffset, plane.byteLength), { raw: { width: from, height: from, channels: 1 } }).resize(to, to, { kernel: 'lanczos3' }).raw().toBuffer()
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}
