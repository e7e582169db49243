import type { EngineClient } from '../host/engine-client'
import type { ModelInfo } from '../../../shared/engine-protocol'
import { rgbaToModel, type RgbaImage } from '../../../shared/image-convert'
import { bytesToBase64 } from '../../../shared/base64'
import { decodeImageFile } from '../canvas/decode-image'
import { displayName } from './ood-actions'
import type { CalibratableOodScore } from '../../../shared/settings'

/** Most images one calibration takes (the engine's ood params bound); more are left out, and the message says so. */
export const MAX_CALIBRATION_IMAGES = 1024

export interface CalibrationOutcome {
  kind: 'info' | 'error'
  text: string
}

/**
 * Calibrates the model's OOD score on the user's own in-distribution images (its existing score
 * kind, or `score`; the engine keeps the calibration in the user-data folder, never in the model folder).
 * Unreadable files are left out and counted.
 */
export async function calibrateOnFiles(
  client: EngineClient,
  model: ModelInfo,
  files: File[],
  decode: (file: File) => Promise<RgbaImage> = decodeImageFile,
  score?: CalibratableOodScore
): Promise<CalibrationOutcome> {
  if (files.length === 0) return { kind: 'info', text: 'That selection held no files.' }
  const [channels, height, width] = model.imageShape
  const used = files.slice(0, MAX_CALIBRATION_IMAGES)
  const images: { name: string; image: { width: number; height: number; channels: number; data: string } }[] = []
  let unreadable = 0
  for (const file of used) {
    try {
      const bytes = rgbaToModel(await decode(file), { channels, width, height })
      images.push({ name: displayName(file).slice(0, 512), image: { width, height, channels, data: bytesToBase64(bytes) } })
    } catch {
      unreadable++
    }
  }
  if (images.length < 2) return { kind: 'error', text: `Calibration needs at least 2 readable images; ${images.length} of ${files.length} could be read.` }
  const folder = displayName(used[0]).split('/')[0]
  // what the images came from; the engine's description adds the count ("60 images from mine")
  const source = folder !== displayName(used[0]) ? folder : 'selected files'
  try {
    const reply = await client.call('ood.calibrate', { modelId: model.id, images, source, ...(score ? { score } : {}) })
    const notes = [unreadable ? `${unreadable} unreadable left out` : '', files.length > used.length ? `only the first ${used.length} of ${files.length} used` : ''].filter(Boolean)
    return { kind: 'info', text: `Calibrated on ${reply.images} of your images (${reply.calibratedOn}); threshold ${reply.threshold.toPrecision(4)}.${notes.length ? ` ${notes.join('; ')}.` : ''}` }
  } catch (error) {
    return { kind: 'error', text: `Could not calibrate: ${(error as Error).message}` }
  }
}

/** What the panel says while a calibration runs: the count, and after a few seconds the time taken so far (m:ss). */
export function calibratingText(count: number, elapsedMs: number): string {
  const seconds = Math.max(0, Math.floor(elapsedMs / 1000))
  const taken = seconds >= 3 ? ` ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')} so far` : ''
  return `Calibrating on ${count} images…${taken}`
}

export async function resetCalibration(client: EngineClient, model: ModelInfo): Promise<CalibrationOutcome> {
  try {
    const reply = await client.call('ood.resetCalibration', { modelId: model.id })
    return { kind: 'info', text: reply.reset ? 'Back to the model’s own calibration.' : 'There was no calibration of yours to reset.' }
  } catch (error) {
    return { kind: 'error', text: `Could not reset: ${(error as Error).message}` }
  }
}
