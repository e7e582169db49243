import type { EngineClient } from '../host/engine-client'
import type { Host } from '../host/connection'
import type { ModelInfo } from '../../../shared/engine-protocol'
import { PHOTO_DATA_LIMIT, type PhotoRepairWireResult } from '../../../shared/photo-repair'
import { bytesToBase64 } from '../../../shared/base64'
import { describeConditions } from '../../../shared/condition-format'
import { decodeImageFile, decodePngBase64 } from '../canvas/decode-image'
import { modelBytesToCanvas } from '../canvas/pixels'
import type { GalleryItem, RepairState, StudioStore } from '../store/studio-store'
import { randomSeed, runSamplerJob } from '../store/job-actions'
import { rasterizeStrokes, type Stroke } from './mask'
import type { RepairPhoto } from './repair-history'
import { cropMask, paintedBox, pastePainted, rgbaToPlanarRgb } from './photo-paste'

/**
 * Repair of a photo at its own size with a latent model: the photo is imported as shown (EXIF
 * orientation applied), the user paints on it at full resolution, and the engine ('repair.photo')
 * repairs a model-sized context square around the paint, which is pasted back where painted.
 */

/** The photo as the user sees it, at full resolution, RGB; the file's bytes are kept for the engine. */
export async function decodeFullSizePhoto(file: File): Promise<RepairPhoto> {
  const rgba = await decodeImageFile(file, { orient: true })
  const { width, height } = rgba
  const bytes = rgbaToPlanarRgb(rgba.data, width, height)
  return { name: file.name, originalWidth: width, originalHeight: height, width, height, channels: 3, bytes, fullSize: true, file: new Uint8Array(await file.arrayBuffer()) }
}

/** The working photo as a lossless PNG at its full size. */
async function photoPng(photo: RepairPhoto): Promise<Uint8Array> {
  const canvas = modelBytesToCanvas(photo.bytes, photo)
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'))
  if (!blob) throw new Error(`${photo.name}: the photo could not be encoded as PNG`)
  return new Uint8Array(await blob.arrayBuffer())
}

/** The working photo as a file for the engine: the imported file itself, or (after an accepted repair) a PNG of it. */
async function photoFileBytes(photo: RepairPhoto): Promise<Uint8Array> {
  return photo.file ?? photoPng(photo)
}

/** Saves the working photo (accepted repairs included) at its full size as PNG: the way a repaired photo leaves the app. */
export async function savePhoto(store: StudioStore, host: Host, photo: RepairPhoto): Promise<void> {
  try {
    const name = `${photo.name.replace(/\.[^.]*$/, '').replace(/[/\\]/g, '_') || 'photo'}-repaired.png`
    await host.saveImage(name, bytesToBase64(await photoPng(photo)))
  } catch (error) {
    store.setState({ notice: { kind: 'error', text: `Saving ${photo.name} failed: ${(error as Error).message}` } })
  }
}

/**
 * A queued repair can finish after another photo was opened (or a repair accepted): its result
 * is kept in the history and never staged onto that other photo. True when that happened.
 */
export function historyOnlyIfReplaced(store: StudioStore, photo: RepairPhoto, item: GalleryItem): boolean {
  if (store.getState().repair.history.document.photo === photo) return false
  store.setState((s) => ({ gallery: [item, ...s.gallery], notice: { kind: 'info', text: `The repair of ${photo.name} finished after the photo on the canvas changed: it is in the history, not on the canvas.` } }))
  return true
}

/** Descends on the context square around the paint; the pasted result waits for accept or discard. */
export async function runPhotoRepair(store: StudioStore, client: EngineClient, model: ModelInfo, photo: RepairPhoto, strokes: Stroke[], settings: RepairState['settings']): Promise<void> {
  const mask = rasterizeStrokes(strokes, photo.width, photo.height)
  const box = paintedBox(mask, photo.width, photo.height)
  if (!box) {
    store.setState({ notice: { kind: 'info', text: 'Paint noise onto the region to repair first (brush: B).', tool: 'repair' } })
    return
  }
  const seed = settings.lockSeed ? settings.seed : randomSeed()
  store.setState((s) => ({ repair: { ...s.repair, settings: { ...s.repair.settings, seed }, result: null } }))
  let data: string
  try {
    data = bytesToBase64(await photoFileBytes(photo))
    // the engine's limit on the photo field (src/shared/photo-repair.ts), said here with the file's name
    if (data.length > PHOTO_DATA_LIMIT) throw new Error(`${photo.name}: ${((data.length * 3) / 4 / 1e6).toFixed(0)} MB is over the ${((PHOTO_DATA_LIMIT * 3) / 4 / 1e6).toFixed(0)} MB a photo repair can send to the engine`)
  } catch (error) {
    store.setState({ notice: { kind: 'error', text: (error as Error).message } })
    return
  }
  const { sampler } = settings
  const conditions = settings.classIndex === null ? [] : [{ classIndex: settings.classIndex, weight: 1 }]
  const result = await runSamplerJob(
    store,
    client,
    {
      method: 'repair.photo',
      params: { modelId: model.id, seed, photo: { name: photo.name, data }, mask: { ...box, data: bytesToBase64(cropMask(mask, photo.width, box)) }, strength: settings.strength, holdUnmasked: settings.holdUnmasked, conditions, count: 1, sampler, previewEvery: 1 }
    },
    1,
    sampler.maxSteps
  )
  if (!result) return
  try {
    if (result.photoWidth !== photo.width || result.photoHeight !== photo.height) {
      // the browser and the engine read the file's orientation differently: pasting would misplace the repair
      throw new Error(`${photo.name}: the engine decoded the photo as ${result.photoWidth}x${result.photoHeight}, the studio as ${photo.width}x${photo.height}; the repair was not pasted`)
    }
    const patch = result.patches[0]
    const square = await decodePngBase64(patch.png)
    const bytes = pastePainted(photo.bytes, photo.width, photo.height, result.rect, square.data, mask)
    const item = await storePatch(client, result, model)
    if (historyOnlyIfReplaced(store, photo, item)) return
    store.setState((s) => ({ gallery: [item, ...s.gallery], repair: { ...s.repair, result: { png: patch.png, bytes, seed }, compare: 0.5 } }))
  } catch (error) {
    store.setState({ notice: { kind: 'error', text: (error as Error).message } })
  }
}

/** The repaired context square (with its parameters chunk) goes to the history like any result. */
async function storePatch(client: EngineClient, result: PhotoRepairWireResult, model: ModelInfo): Promise<GalleryItem> {
  const patch = result.patches[0]
  const { refs } = await client.call('store.put', { blobs: [{ data: patch.png, type: 'png' as const }] })
  const conditions = result.params.conditions
  return {
    id: `${result.jobId}-0`,
    kind: 'repair',
    image: refs[0],
    width: result.rect.width,
    height: result.rect.height,
    title: `repair${conditions.length ? ` (${describeConditions(conditions, model.classes)})` : ''}`,
    params: { ...result.params, seed: patch.seed, count: 1 },
    steps: patch.steps,
    gradNorm: patch.gradNorm,
    ...(patch.stopped === 'stopped-early' ? { stoppedEarly: true } : {}),
    createdAt: Date.now()
  }
}
