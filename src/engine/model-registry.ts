import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ModelInfo } from '../shared/engine-protocol'
import { describeZodError, modelManifestSchema, resolveStudioDefaults, type ModelManifest } from '../shared/manifest'
import { EngineError } from './errors'

export interface ModelEntry {
  manifest: ModelManifest
  folder: string
  /** absolute path of a file the manifest names */
  file(name: string): string
}

export interface ModelProblem {
  folder: string
  message: string
}

/** Reads models/<id>/manifest.json from each root. A broken folder is reported, never fatal. */
export function scanModels(roots: readonly string[]): { models: ModelEntry[]; problems: ModelProblem[] } {
  const models: ModelEntry[] = []
  const problems: ModelProblem[] = []
  for (const root of roots) {
    if (!existsSync(root)) continue
    for (const name of readdirSync(root).sort()) {
      // dot-folders are imports in progress (eqm import builds in .<id>.partial-<pid>, then renames)
      if (name.startsWith('.')) continue
      const folder = join(root, name)
      if (!statSync(folder).isDirectory() || !existsSync(join(folder, 'manifest.json'))) continue
      try {
        const entry = readModel(folder)
        if (models.some((m) => m.manifest.id === entry.manifest.id)) {
          problems.push({ folder, message: `model id ${entry.manifest.id} is already loaded from another folder` })
        } else models.push(entry)
      } catch (error) {
        problems.push({ folder, message: error instanceof Error ? error.message : String(error) })
      }
    }
  }
  return { models, problems }
}

export function readModel(folder: string): ModelEntry {
  const path = join(folder, 'manifest.json')
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new EngineError('model-invalid', `${path} is not valid JSON: ${(error as Error).message}`)
  }
  const parsed = modelManifestSchema.safeParse(raw)
  if (!parsed.success) throw new EngineError('model-invalid', `${path}: ${describeZodError(parsed.error)}`)
  const manifest = parsed.data
  const entry: ModelEntry = { manifest, folder, file: (name) => join(folder, name) }
  for (const [role, name] of Object.entries(manifest.files)) {
    if (typeof name === 'string' && !existsSync(entry.file(name))) {
      throw new EngineError('model-invalid', `${manifest.id}: the ${role} file ${name} is missing from ${folder}`)
    }
  }
  return entry
}

/**
 * Why the engine cannot run jobs on this model, or undefined when it can. Latent-space models
 * (imported reference EqM checkpoints) load and are listed, but generating with them needs the
 * latent studio (VAE decode and encode), which is not part of this engine yet.
 */
export function unavailableReason(manifest: ModelManifest): string | undefined {
  if (manifest.unavailable) return manifest.unavailable
  if (manifest.files.gradient === undefined) return 'the manifest names no gradient model (files.gradient)'
  if (manifest.space === 'latent') {
    return `a latent-space model (VAE "${manifest.latent?.vae ?? 'from files.decoder'}"): it needs the latent studio, which this version does not have yet`
  }
  return undefined
}

export function describeModel(entry: ModelEntry): ModelInfo {
  const m = entry.manifest
  return {
    id: m.id,
    title: m.title,
    space: m.space,
    shape: m.shape,
    classes: m.classes,
    nullClass: m.nullClass,
    sampler: m.sampler,
    studio: resolveStudioDefaults(m.studio, m.sampler),
    ood: m.ood,
    hasEnergy: m.files.energy !== undefined,
    hasClassifier: m.files.classifier !== undefined,
    provenance: m.provenance,
    unavailable: unavailableReason(m)
  }
}
