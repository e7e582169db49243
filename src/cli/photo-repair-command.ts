import { writeFileSync } from 'node:fs'
import sharp from 'sharp'
import type { Engine } from '../engine/engine'
import type { ModelInfo } from '../shared/engine-protocol'
import type { Condition } from '../shared/jobs'
import type { SamplerSettings } from '../shared/manifest'
import { withPngText } from '../shared/png-text'
import { EngineError } from '../engine/errors'
import { UsageError, integer } from './args'
import { readImageFile } from './read-image'
import { round } from './ood-command'

export interface PhotoRepairOptions {
  inPath: string
  maskPath: string
  out: string
  seed: number
  strength: number
  holdUnmasked: boolean
  conditions: Condition[]
  sampler: Partial<SamplerSettings>
  padding?: string
  context?: string
  feather?: string
}

/** Context defaults, in photo pixels (A1111's "only masked" padding is 32). */
export const PHOTO_REPAIR_DEFAULTS = { padding: 32, feather: 8 }

/**
 * eqm repair with a latent model: the photo at its own size (EXIF orientation applied), the mask
 * a picture of the same size (painted = bright); writes the whole photo with the repair blended in.
 */
export async function repairPhotoCommand(engine: Engine, info: ModelInfo, options: PhotoRepairOptions): Promise<number> {
  const padding = integer('padding', options.padding, 0, 4096) ?? PHOTO_REPAIR_DEFAULTS.padding
  const contextSize = integer('context', options.context, 0, 16384) ?? 0
  const feather = integer('feather', options.feather, 0, 256) ?? PHOTO_REPAIR_DEFAULTS.feather
  const photo = await readImageFile(options.inPath)
  const maskImage = await readImageFile(options.maskPath)
  if (maskImage.width !== photo.width || maskImage.height !== photo.height) {
    throw new UsageError(`--mask ${options.maskPath} is ${maskImage.width}x${maskImage.height}, the photo ${options.inPath} is ${photo.width}x${photo.height} (as shown, EXIF orientation applied)`)
  }
  // the painted amount: the mask's brightness times its alpha
  const mask = new Uint8Array(photo.width * photo.height)
  for (let i = 0; i < mask.length; i++) {
    const d = maskImage.data
    mask[i] = Math.round((((d[i * 4] + d[i * 4 + 1] + d[i * 4 + 2]) / 3) * d[i * 4 + 3]) / 255)
  }
  maskImage.data = new Uint8Array(0) // one full-size copy fewer while the job runs
  const result = await engine.repairPhoto(info.id, {
    jobId: 'cli',
    photo,
    mask,
    strength: options.strength,
    holdUnmasked: options.holdUnmasked,
    conditions: options.conditions,
    seed: options.seed,
    count: 1,
    sampler: options.sampler,
    padding,
    contextSize,
    feather,
    previewEvery: 0
  })
  const [patch] = result.patches
  const { rect } = result
  const rowBytes = rect.width * 4
  for (let y = 0; y < rect.height; y++) photo.data.set(patch.rgba.subarray(y * rowBytes, (y + 1) * rowBytes), ((rect.y + y) * photo.width + rect.x) * 4)
  let png: Uint8Array
  try {
    png = await sharp(Buffer.from(photo.data.buffer, photo.data.byteOffset, photo.data.byteLength), { raw: { width: photo.width, height: photo.height, channels: 4 } })
      .removeAlpha()
      .png()
      .toBuffer()
  } catch (error) {
    throw new EngineError('image-invalid', `cannot encode the repaired photo: ${(error as Error).message}`)
  }
  writeFileSync(options.out, withPngText(png, JSON.stringify({ ...result.params, seed: patch.seed, count: 1 })))
  console.log(JSON.stringify({ file: options.out, seed: patch.seed, steps: patch.steps, gradNorm: round(patch.gradNorm), width: photo.width, height: photo.height, context: result.params.context }))
  return 0
}
