import type { EngineClient } from '../host/engine-client'
import type { ModelInfo } from '../../../shared/engine-protocol'
import type { ClassifyResult, ModelImage, OodResult } from '../../../shared/jobs'
import { bytesToBase64 } from '../../../shared/base64'
import { rgbaToModel } from '../../../shared/image-convert'
import { decodeImageFile, decodePngBase64 } from '../canvas/decode-image'
import { currentModel, type RepairState, type StudioStore } from '../store/studio-store'
import { randomSeed, runSamplerJob, storeResults } from '../store/job-actions'
import { maskCoverage, rasterizeStrokes, type Stroke } from './mask'
import { addStroke, redo, replaceDocument, undo, type RepairPhoto } from './repair-history'
import { decodeFullSizePhoto, historyOnlyIfReplaced, runPhotoRepair } from './photo-repair-actions'

export function updateRepair(store: StudioStore, patch: (repair: RepairState) => Partial<RepairState>): void {
  store.setState((s) => ({ repair: { ...s.repair, ...patch(s.repair) } }))
}

/**
 * Imports a photo: for a pixel model as the model sees it (centre crop, resized, channels
 * converted); for a latent model at its own size, as shown (the engine repairs a context square).
 */
export async function importPhoto(store: StudioStore, file: File): Promise<void> {
  const model = currentModel(store.getState())
  if (!model) return
  try {
    const photo = model.space === 'latent' ? await decodeFullSizePhoto(file) : await modelSizedPhoto(model, file)
    updateRepair(store, (r) => ({ history: replaceDocument(r.history, 'import', { photo, strokes: [] }), result: null }))
    store.setState({ notice: null })
  } catch (error) {
    // the current photo, strokes and history stay as they were
    store.setState({ notice: { kind: 'error', text: (error as Error).message, tool: 'repair' } })
  }
}

async function modelSizedPhoto(model: ModelInfo, file: File): Promise<RepairPhoto> {
  const rgba = await decodeImageFile(file)
  const [channels, height, width] = model.shape
  return { name: file.name, originalWidth: rgba.width, originalHeight: rgba.height, width, height, channels, bytes: rgbaToModel(rgba, { channels, width, height }) }
}

/**
 * What the model's classifier sees in the photo, to suggest a class to guide the repair
 * toward (measured: guided repairs keep the class more often and look more real). Null when
 * the model has no classifier or the call fails: a suggestion is never worth an error.
 */
export async function suggestRepairClass(client: EngineClient, model: ModelInfo, photo: RepairPhoto): Promise<ClassifyResult | null> {
  // the classifier reads model-sized images; a full-size photo is not one
  if (!model.hasClassifier || photo.fullSize) return null
  try {
    return await client.call('image.classify', { modelId: model.id, image: photoImage(photo) })
  } catch {
    return null
  }
}

/** The model's OOD check of the photo: is it like the data the model learned at all? Null when unavailable. */
export async function checkPhoto(client: EngineClient, model: ModelInfo, photo: RepairPhoto): Promise<OodResult | null> {
  if (photo.fullSize) return null
  try {
    const { results } = await client.call('ood.score', { modelId: model.id, images: [{ name: photo.name, image: photoImage(photo) }] })
    return results[0] ?? null
  } catch {
    return null
  }
}

/** The photo as the engine takes it (already at the model's size and channels). */
function photoImage(photo: RepairPhoto): ModelImage {
  return { width: photo.width, height: photo.height, channels: photo.channels, data: bytesToBase64(photo.bytes) }
}

export function paintStroke(store: StudioStore, stroke: Stroke): void {
  updateRepair(store, (r) => ({ history: addStroke(r.history, stroke) }))
}

export function undoRepair(store: StudioStore): void {
  updateRepair(store, (r) => ({ history: undo(r.history), result: null }))
}

export function redoRepair(store: StudioStore): void {
  updateRepair(store, (r) => ({ history: redo(r.history), result: null }))
}

export function clearMask(store: StudioStore): void {
  updateRepair(store, (r) => (r.history.document.strokes.length ? { history: replaceDocument(r.history, 'clear', { ...r.history.document, strokes: [] }) } : {}))
}

/** Descends from the noised photo; the result waits for accept or discard. */
export async function runRepair(store: StudioStore, client: EngineClient): Promise<void> {
  const state = store.getState()
  const model = currentModel(state)
  const { photo, strokes } = state.repair.history.document
  if (!model) return
  if (!photo) {
    store.setState({ notice: { kind: 'info', text: 'Import a photo first: drop it on the canvas, paste it, or use Import.', tool: 'repair' } })
    return
  }
  const latent = model.space === 'latent'
  if (latent !== (photo.fullSize === true)) {
    const how = latent ? `at its own size for the latent model ${model.title}` : `at ${model.title}'s size`
    store.setState({ notice: { kind: 'info', text: `${photo.name} was imported for another kind of model: import it again to repair it ${how}.`, tool: 'repair' } })
    return
  }
  if (latent) return runPhotoRepair(store, client, model, photo, strokes, state.repair.settings)
  const mask = rasterizeStrokes(strokes, photo.width, photo.height)
  if (maskCoverage(mask) === 0) {
    store.setState({ notice: { kind: 'info', text: 'Paint noise onto the region to repair first (brush: B).', tool: 'repair' } })
    return
  }
  const settings = state.repair.settings
  const seed = settings.lockSeed ? settings.seed : randomSeed()
  updateRepair(store, (r) => ({ settings: { ...r.settings, seed }, result: null }))
  const sampler = state.repair.settings.sampler
  const result = await runSamplerJob(
    store,
    client,
    {
      method: 'repair',
      params: {
        modelId: model.id,
        seed,
        image: photoImage(photo),
        mask: { width: photo.width, height: photo.height, channels: 1, data: bytesToBase64(mask) },
        strength: settings.strength,
        holdUnmasked: settings.holdUnmasked,
        conditions: settings.classIndex === null ? [] : [{ classIndex: settings.classIndex, weight: 1 }],
        count: 1,
        sampler,
        previewEvery: 1
      }
    },
    1,
    sampler.maxSteps
  )
  if (!result) return
  const [item] = await storeResults(client, result, model.classes)
  if (historyOnlyIfReplaced(store, photo, item)) return
  const png = result.images[0].png
  const rgba = await decodePngBase64(png)
  const bytes = rgbaToModel(rgba, { channels: photo.channels, width: photo.width, height: photo.height })
  store.setState((s) => ({ gallery: [item, ...s.gallery] }))
  updateRepair(store, () => ({ result: { png, bytes, seed }, compare: 0.5 }))
}

/** The repaired image becomes the working photo: one undoable step. */
export function acceptRepair(store: StudioStore): void {
  updateRepair(store, (r) => {
    const photo = r.history.document.photo
    if (!r.result || !photo) return {}
    // the accepted pixels are no longer the imported file: a next full-size repair sends them as PNG
    return { history: replaceDocument(r.history, 'accept', { photo: { ...photo, bytes: r.result.bytes, file: undefined }, strokes: [] }), result: null }
  })
}

export function discardRepair(store: StudioStore): void {
  updateRepair(store, () => ({ result: null }))
}
