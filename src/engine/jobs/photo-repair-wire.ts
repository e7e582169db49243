import type { ParsedParams } from '../../shared/engine-schemas'
import type { PhotoRepairWireResult } from '../../shared/photo-repair'
import { base64ToBytes, bytesToBase64 } from '../../shared/base64'
import { EngineError } from '../errors'
import { encodeModelPng } from '../image-files'
import type { PhotoRepairParams, PhotoRepairResult } from './photo-repair-job'

/** 'repair.photo' params as the job's: the photo file decoded (EXIF applied), the mask box put into a full-size plane. */
export async function photoRepairJobParams(params: ParsedParams<'repair.photo'>): Promise<PhotoRepairParams> {
  let file: Uint8Array
  let box: Uint8Array
  try {
    file = base64ToBytes(params.photo.data)
    box = base64ToBytes(params.mask.data)
  } catch {
    throw new EngineError('image-invalid', `${params.photo.name}: the photo or mask data is not base64`)
  }
  // sharp is loaded only here, on the first photo repair
  const { decodeImageFile } = await import('../image-decode')
  const photo = await decodeImageFile(file, params.photo.name)
  const { x, y, width, height } = params.mask
  if (x + width > photo.width || y + height > photo.height) {
    throw new EngineError('image-invalid', `the mask box ${width}x${height} at ${x},${y} reaches outside the ${photo.width}x${photo.height} photo ${params.photo.name} (as shown, EXIF orientation applied)`)
  }
  if (box.length !== width * height) throw new EngineError('image-invalid', `the mask box has ${box.length} bytes, expected ${width * height} (${width}x${height})`)
  const mask = new Uint8Array(photo.width * photo.height)
  for (let row = 0; row < height; row++) mask.set(box.subarray(row * width, (row + 1) * width), (y + row) * photo.width + x)
  return {
    jobId: params.jobId,
    photo,
    mask,
    strength: params.strength,
    holdUnmasked: params.holdUnmasked,
    conditions: params.conditions,
    seed: params.seed,
    count: params.count,
    sampler: params.sampler,
    padding: params.padding,
    contextSize: params.contextSize,
    feather: params.feather,
    previewEvery: params.previewEvery
  }
}

/** The job's patches as PNGs (RGB, each with its own parameters chunk) for the wire. */
export function photoRepairWireResult(jobId: string, modelId: string, photo: { width: number; height: number }, result: PhotoRepairResult): PhotoRepairWireResult {
  const { rect } = result
  const plane = rect.width * rect.height
  const patches = result.patches.map((patch) => {
    const planar = new Uint8Array(3 * plane)
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) planar[c * plane + i] = patch.rgba[i * 4 + c]
    const png = encodeModelPng(planar, { channels: 3, width: rect.width, height: rect.height }, JSON.stringify({ ...result.params, seed: patch.seed, count: 1 }))
    return { png: bytesToBase64(png), seed: patch.seed, steps: patch.steps, gradNorm: patch.gradNorm, stopped: patch.stopped }
  })
  return { jobId, modelId, photoWidth: photo.width, photoHeight: photo.height, rect, patches, params: result.params, elapsedMs: result.elapsedMs }
}
