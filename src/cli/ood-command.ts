import { basename } from 'node:path'
import type { Engine } from '../engine/engine'
import type { ModelInfo } from '../shared/engine-protocol'
import { rgbaToModel } from '../shared/image-convert'
import { bytesToBase64 } from '../shared/base64'
import { copyCheckNotes, formatFactor } from '../shared/jobs'
import { readImageFile } from './read-image'
import { collectInputFiles } from './input-files'
import { UsageError } from './args'

/** Images per ood.score call: well under the method's 1024 cap, and a batch's pixels stay small. */
export const OOD_BATCH = 256

/**
 * `eqm ood PATH...`: files and folders (walked recursively), scored in batches; each result is
 * printed as soon as its batch is done (one JSON line per file with --json). A file that cannot
 * be read is reported on stderr and the others go on; the exit code is 1 when any failed.
 */
export async function oodCommand(engine: Engine, info: ModelInfo, paths: string[], json: boolean): Promise<number> {
  if (paths.length === 0) throw new UsageError('ood needs one or more image files or folders')
  const { files, skipped } = collectInputFiles(paths)
  let failed = skipped.length
  for (const s of skipped) console.error(`eqm: ${s.path} ${s.reason}`)
  if (files.length === 0) {
    if (skipped.length === 0) console.error(`eqm: no image files found in ${paths.join(', ')}`)
    return 1
  }
  if (!info.ood && !json) console.error(`note: ${info.id} has no OOD calibration; scores are shown without a flag (eqm calibrate --model ${info.id} FOLDER fits one)`)
  if (info.oodCalibratedOn && !json) console.error(`calibration: ${info.oodCalibratedOn}`)
  // latent models take images at the VAE's decoded size and score their latents
  const [channels, height, width] = info.imageShape
  for (let start = 0; start < files.length; start += OOD_BATCH) {
    const batch = files.slice(start, start + OOD_BATCH)
    // names sent to the engine are indices into this batch: paths can be longer than its limit
    const images = []
    for (const [index, file] of batch.entries()) {
      try {
        const bytes = rgbaToModel(await readImageFile(file), { channels, width, height })
        images.push({ name: String(index), image: { width, height, channels, data: bytesToBase64(bytes) } })
      } catch (error) {
        failed++
        console.error(`eqm: ${(error as Error).message}`)
      }
    }
    if (images.length === 0) continue
    const { results } = await engine.call('ood.score', { modelId: info.id, images })
    for (const r of results) {
      const file = batch[Number(r.name)]
      // per-class scores: the class the model measured the image against
      const comparedWith = r.comparedWithClass === undefined ? undefined : info.classes[r.comparedWithClass]
      // the orientation check: a flipped or turned copy looked more typical, and the score was raised by that much
      const orientation = r.orientation ? { copy: r.orientation.copy, raisedBy: round(r.orientation.raisedBy) } : undefined
      // the contrast check: the image stretched to full contrast looked more typical
      const contrast = r.contrast ? { raisedBy: round(r.contrast.raisedBy) } : undefined
      // the centring check: the image moved to the centre looked more typical
      const centring = r.centring ? { raisedBy: round(r.centring.raisedBy) } : undefined
      const line = { file, score: round(r.score), flagged: r.flagged, percentile: r.percentile === null ? null : round(r.percentile), ...(comparedWith ? { comparedWith } : {}), ...(orientation ? { orientation } : {}), ...(contrast ? { contrast } : {}), ...(centring ? { centring } : {}) }
      const notes = [
        ...(comparedWith ? [`as ${comparedWith}`] : []),
        ...copyCheckNotes({ orientation, contrast, centring }).map((note) => `${note.words} fits better, score x${formatFactor(note.raisedBy)}`)
      ]
      if (json) console.log(JSON.stringify(line))
      else console.log(`${r.flagged ? 'OOD ' : r.flagged === false ? 'ok  ' : '?   '} ${round(r.score).toString().padEnd(10)} ${basename(file)}${notes.length ? `  (${notes.join('; ')})` : ''}`)
    }
  }
  return failed > 0 ? 1 : 0
}

export function round(value: number): number {
  return Number(value.toPrecision(6))
}
