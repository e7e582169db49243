import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { describeZodError, oodCalibrationSchema, type ModelManifest, type OodCalibration } from '../shared/manifest'
import { EngineError } from './errors'

/**
 * A user's own OOD calibration of a model: kept in the user-data folder (<dir>/<model id>.json),
 * never in the model folder (its files are hashed and may be read-only). It replaces the
 * manifest's calibration until it is reset. It records which model file it was fitted for: a
 * model re-imported under the same id from another checkpoint does not inherit it.
 */
const storedCalibrationSchema = z.object({
  schemaVersion: z.literal(1),
  modelId: z.string(),
  /** the model's provenance hash when it has one (imported checkpoints) */
  modelSha256: z.string().nullable(),
  calibration: oodCalibrationSchema,
  calibratedOn: z.object({ images: z.number().int().min(1), sources: z.array(z.string()), at: z.string() })
})
export type StoredCalibration = z.infer<typeof storedCalibrationSchema>

export class CalibrationStore {
  constructor(private readonly dir: string) {}

  private file(modelId: string): string {
    return join(this.dir, `${modelId}.json`)
  }

  /** The user's calibration of this model, or null (none, or fitted for another file of the same id). */
  read(manifest: ModelManifest): StoredCalibration | null {
    const file = this.file(manifest.id)
    if (!existsSync(file)) return null
    let raw: unknown
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new EngineError('internal', `the OOD calibration ${file} is not valid JSON (${(error as Error).message}); reset it with eqm calibrate --model ${manifest.id} --reset`)
    }
    const parsed = storedCalibrationSchema.safeParse(raw)
    if (!parsed.success) throw new EngineError('internal', `the OOD calibration ${file}: ${describeZodError(parsed.error)}; reset it with eqm calibrate --model ${manifest.id} --reset`)
    // its class count drives the rows per image (classes x seeds), so it must be the model's own, as the manifest's must
    const classes = parsed.data.calibration.classes
    if (classes !== undefined && classes > manifest.classes.length) {
      throw new EngineError('internal', `the OOD calibration ${file} counts ${classes} classes, the model names ${manifest.classes.length}; reset it with eqm calibrate --model ${manifest.id} --reset`)
    }
    return parsed.data.modelSha256 === modelSha256(manifest) ? parsed.data : null
  }

  write(manifest: ModelManifest, calibration: OodCalibration, calibratedOn: StoredCalibration['calibratedOn']): StoredCalibration {
    const stored: StoredCalibration = { schemaVersion: 1, modelId: manifest.id, modelSha256: modelSha256(manifest), calibration, calibratedOn }
    mkdirSync(this.dir, { recursive: true })
    const file = this.file(manifest.id)
    const temporary = `${file}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(stored, null, 2))
    renameSync(temporary, file)
    return stored
  }

  /** Back to the model's own calibration; true when there was one to remove. */
  reset(modelId: string): boolean {
    const file = this.file(modelId)
    if (!existsSync(file)) return false
    rmSync(file)
    return true
  }
}

function modelSha256(manifest: ModelManifest): string | null {
  const sha = manifest.provenance.sha256
  return typeof sha === 'string' ? sha : null
}

/** What the score chart says about a calibration: whose, and on what. */
export function describeCalibration(stored: StoredCalibration): string {
  const { images, sources, at } = stored.calibratedOn
  return `your calibration: ${images} image${images === 1 ? '' : 's'} from ${sources.join(', ')} (${at.slice(0, 10)})`
}
