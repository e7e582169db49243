import type { Engine } from '../engine/engine'
import type { ModelInfo } from '../shared/engine-protocol'
import { rgbaToModel } from '../shared/image-convert'
import { bytesToBase64 } from '../shared/base64'
import { readImageFile } from './read-image'
import { collectInputFiles } from './input-files'
import { UsageError } from './args'
import { CALIBRATABLE_OOD_SCORES } from '../shared/settings'
import { OOD_BATCH, round } from './ood-command'

/**
 * `eqm calibrate --model ID [--score KIND] FOLDER...`: fits the model's OOD calibration (its own
 * score kind, or KIND) to the user's in-distribution images, kept in the user-data folder;
 * `--reset` goes back to the model's own. Files that cannot be read are reported and left out.
 */
export async function calibrateCommand(engine: Engine, info: ModelInfo, paths: string[], reset: boolean, score?: string): Promise<number> {
  if (score !== undefined && !(CALIBRATABLE_OOD_SCORES as readonly string[]).includes(score)) {
    throw new UsageError(`calibrate --score: "${score}" is not a score a calibration can be fitted for (${CALIBRATABLE_OOD_SCORES.join(', ')})`)
  }
  if (reset) {
    if (paths.length || score !== undefined) throw new UsageError('calibrate --reset takes no images and no --score')
    const removed = engine.resetOodCalibration(info.id)
    console.log(JSON.stringify({ model: info.id, reset: removed, calibration: removed ? 'the model\'s own' : 'the model\'s own (there was no calibration of yours)' }))
    return 0
  }
  if (paths.length === 0) throw new UsageError('calibrate needs one or more folders (or files) of in-distribution images')
  const { files, skipped } = collectInputFiles(paths)
  let failed = skipped.length
  for (const s of skipped) console.error(`eqm: ${s.path} ${s.reason}`)
  if (files.length < 2) throw new UsageError(`calibrate needs at least 2 images; found ${files.length} in ${paths.join(', ')}`)
  const [channels, height, width] = info.imageShape
  // a large folder takes minutes with the costlier scores: a terminal sees how far it is (the engine
  // pulls the next batch when the last one's features are done); pipes and logs get only the result
  const progress = (done: number) => process.stderr.isTTY && process.stderr.write(`\rcalibrating: ${done} of ${files.length} images${done === files.length ? '\n' : ''}`)
  async function* batches() {
    for (let start = 0; start < files.length; start += OOD_BATCH) {
      progress(start)
      const batch = []
      for (const file of files.slice(start, start + OOD_BATCH)) {
        try {
          const bytes = rgbaToModel(await readImageFile(file), { channels, width, height })
          batch.push({ name: file, image: { width, height, channels, data: bytesToBase64(bytes) } })
        } catch (error) {
          failed++
          console.error(`eqm: ${(error as Error).message}`)
        }
      }
      if (batch.length) yield batch
    }
    progress(files.length)
  }
  const stored = await engine.calibrateOod(info.id, batches(), paths, score)
  const { calibration } = stored
  console.log(JSON.stringify({ model: info.id, score: calibration.score, images: stored.calibratedOn.images, threshold: round(calibration.threshold), tpr: calibration.tpr, median: round(calibration.quantiles.find(([q]) => q === 0.5)?.[1] ?? NaN) }))
  return failed > 0 ? 1 : 0
}
