import type { EngineClient } from '../host/engine-client'
import type { ModelInfo } from '../../../shared/engine-protocol'
import type { OodResult } from '../../../shared/jobs'
import { rgbaToModel, type RgbaImage } from '../../../shared/image-convert'
import { bytesToBase64 } from '../../../shared/base64'
import { decodeImageFile } from '../canvas/decode-image'
import { modelBytesToCanvas } from '../canvas/pixels'
import { chunk, scoreInBatches, type OodEntry } from './ood-logic'
import { INITIAL_OOD, type OodStore } from './ood-store'

/** Images per 'ood.score' call: small enough to show progress, large enough to batch the model. */
export const OOD_BATCH = 64
/** Files decoded at once; decoding is the browser's work and keeps the window responsive in chunks. */
const DECODE_CHUNK = 16
/** More than this in one list is refused: the list is for looking at, the CLI is for bulk runs. */
export const MAX_OOD_ENTRIES = 5000

/** Entry ids: unique in this window (an id generator, not state anyone reads). */
let entryCounter = 0

interface Converted {
  entry: OodEntry
  image: { width: number; height: number; channels: number; data: string }
}

/** The name shown for a file: its path inside an imported folder, else its name. */
export function displayName(file: File): string {
  const relative = (file as File & { webkitRelativePath?: string }).webkitRelativePath
  return relative || file.name
}

/** How files become pixels and thumbnails: the browser's codecs and a canvas by default (tests pass their own). */
export interface OodImportDeps {
  decode(file: File): Promise<RgbaImage>
  thumbnail(bytes: Uint8Array, size: { channels: number; width: number; height: number }): string
}

const BROWSER_DEPS: OodImportDeps = {
  decode: decodeImageFile,
  thumbnail: (bytes, size) => modelBytesToCanvas(bytes, size).toDataURL('image/png')
}

/**
 * Imports files: each is decoded, converted to what the model sees and scored, in batches.
 * A bad file gets its own error and the others go on. A new import adds to the list.
 */
export async function importOodFiles(store: OodStore, client: EngineClient, model: ModelInfo | null, files: File[], deps: OodImportDeps = BROWSER_DEPS): Promise<void> {
  if (!model) {
    store.setState({ message: { kind: 'error', text: 'No model is loaded, so there is nothing to score against.' } })
    return
  }
  if (files.length === 0) {
    store.setState({ message: { kind: 'info', text: 'That selection held no files.' } })
    return
  }
  const state = store.getState()
  if (state.importing) {
    store.setState({ message: { kind: 'info', text: 'An import is still running; wait for it or stop it first.' } })
    return
  }
  const kept = state.modelId === model.id ? state.entries : []
  const room = MAX_OOD_ENTRIES - kept.length
  if (room <= 0) {
    store.setState({ message: { kind: 'error', text: `The list holds at most ${MAX_OOD_ENTRIES} images; clear it first (or use \`eqm ood\` for bulk runs).` } })
    return
  }
  const sorted = [...files].sort((a, b) => displayName(a).localeCompare(displayName(b), undefined, { numeric: true }))
  const accepted = sorted.slice(0, room)
  const generation = store.getState().importRun + 1
  store.setState({ importRun: generation })
  const firstOrder = kept.reduce((m, e) => Math.max(m, e.order + 1), 0)
  const fresh: OodEntry[] = accepted.map((file, i) => ({ id: `ood-${entryCounter++}`, name: displayName(file), order: firstOrder + i, status: 'pending' }))
  store.setState({
    entries: [...kept, ...fresh],
    modelId: model.id,
    // a filter left on (say "errors") would hide the rows just imported
    filter: 'all',
    importing: { done: 0, total: accepted.length },
    message:
      accepted.length < sorted.length
        ? { kind: 'info', text: `Only the first ${accepted.length} of ${sorted.length} files were imported: the list holds at most ${MAX_OOD_ENTRIES}.` }
        : kept.length === 0 && state.entries.length > 0
          ? { kind: 'info', text: `The model changed, so the earlier list (scored with ${state.modelId}) was cleared.` }
          : null
  })
  const stopped = () => generation !== store.getState().importRun
  const [channels, height, width] = model.imageShape
  try {
    for (const group of chunk(fresh.map((entry, i) => ({ entry, file: accepted[i] })), OOD_BATCH)) {
      // decode a batch's worth of files (a few at a time), then score them in one call
      const converted: Converted[] = []
      for (const part of chunk(group, DECODE_CHUNK)) {
        if (stopped()) return
        const outcomes = await Promise.allSettled(part.map(({ file }) => deps.decode(file)))
        const patches = new Map<string, Partial<OodEntry>>()
        outcomes.forEach((outcome, i) => {
          const { entry } = part[i]
          if (outcome.status === 'rejected') {
            patches.set(entry.id, { status: 'error', error: cleanError((outcome.reason as Error).message, entry.name) })
            return
          }
          try {
            const bytes = rgbaToModel(outcome.value, { channels, width, height })
            const thumb = deps.thumbnail(bytes, { channels, width, height })
            patches.set(entry.id, { status: 'scoring', thumb, original: { width: outcome.value.width, height: outcome.value.height } })
            converted.push({ entry, image: { width, height, channels, data: bytesToBase64(bytes) } })
          } catch (error) {
            patches.set(entry.id, { status: 'error', error: `could not convert it to the model's ${width}×${height}: ${(error as Error).message}` })
          }
        })
        if (stopped()) return
        patchEntries(store, patches)
      }
      await scoreInBatches(
        converted,
        OOD_BATCH,
        async (batch) => {
          const reply = await client.call('ood.score', { modelId: model.id, images: batch.map((c) => ({ name: c.entry.id, image: c.image })) })
          const byName = new Map(reply.results.map((r) => [r.name, r]))
          return batch.map((c) => {
            const result = byName.get(c.entry.id)
            if (!result) throw new Error('the engine returned no score for it')
            return result
          })
        },
        (batch, results) => {
          if (stopped()) return
          const patches = new Map<string, Partial<OodEntry>>()
          batch.forEach((c, i) => {
            const outcome = results[i]
            patches.set(c.entry.id, outcome.ok ? fromResult(outcome.value) : { status: 'error', error: `scoring failed: ${outcome.error}` })
          })
          patchEntries(store, patches)
        },
        stopped
      )
      if (stopped()) return
      store.setState((s) => ({ importing: s.importing ? { ...s.importing, done: Math.min(s.importing.total, s.importing.done + group.length) } : null }))
    }
  } catch (error) {
    if (!stopped()) store.setState({ message: { kind: 'error', text: `The import stopped: ${(error as Error).message}` } })
  } finally {
    if (!stopped()) {
      store.setState((s) => ({
        importing: null,
        // anything still pending (an import stopped by an error) says so instead of spinning
        entries: s.entries.map((e) => (e.status === 'pending' || e.status === 'scoring' ? { ...e, status: 'error', error: 'not scored: the import stopped' } : e))
      }))
    }
  }
}

function fromResult(result: OodResult): Partial<OodEntry> {
  return { status: 'done', score: result.score, flagged: result.flagged, percentile: result.percentile, comparedWithClass: result.comparedWithClass, orientation: result.orientation, contrast: result.contrast, centring: result.centring }
}

function patchEntries(store: OodStore, patches: Map<string, Partial<OodEntry>>): void {
  if (patches.size === 0) return
  store.setState((s) => ({ entries: s.entries.map((e) => (patches.has(e.id) ? { ...e, ...patches.get(e.id) } : e)) }))
}

/** decodeImageFile's messages start with the file name, which the row already shows. */
function cleanError(message: string, name: string): string {
  const base = name.split('/').pop() ?? name
  return message.startsWith(`${base}: `) ? message.slice(base.length + 2) : message
}

/** Stops a running import after the batch in flight; what was scored stays. */
export function stopOodImport(store: OodStore): void {
  if (!store.getState().importing) return
  store.setState((s) => ({
    importRun: s.importRun + 1,
    importing: null,
    message: { kind: 'info', text: 'Import stopped; the images scored so far are kept.' },
    entries: s.entries.filter((e) => e.status !== 'pending' && e.status !== 'scoring')
  }))
}

export function clearOod(store: OodStore): void {
  store.setState((s) => ({ ...INITIAL_OOD, importRun: s.importRun + 1 }))
}

/** Files dropped onto the view, folders included (walked recursively). */
export async function filesFromDrop(transfer: DataTransfer): Promise<File[]> {
  const entries: FileSystemEntry[] = []
  for (const item of Array.from(transfer.items ?? [])) {
    if (item.kind !== 'file') continue
    const entry = item.webkitGetAsEntry?.()
    if (entry) entries.push(entry)
  }
  if (entries.length === 0) return Array.from(transfer.files)
  const files: File[] = []
  for (const entry of entries) await collect(entry, files)
  return files
}

async function collect(entry: FileSystemEntry, into: File[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))
    // keep the folder path visible, like the directory picker does
    const path = entry.fullPath.replace(/^\//, '')
    into.push(path && path !== file.name ? withRelativePath(file, path) : file)
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader()
    // readEntries returns at most ~100 at a time: read until it answers empty
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject))
      if (batch.length === 0) break
      for (const child of batch) await collect(child, into)
    }
  }
}

function withRelativePath(file: File, path: string): File {
  Object.defineProperty(file, 'webkitRelativePath', { value: path, configurable: true })
  return file
}
