import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ModelInfo, ModelProblem } from '../shared/engine-protocol'
import { describeZodError, modelManifestSchema, resolveSamplerPresets, resolveStudioDefaults, type ModelManifest } from '../shared/manifest'
import { EngineError } from './errors'
import { checkModelFile, type ShippedModels } from './model-files'
import { latentProblem, scanVaes, type VaeEntry } from './vae-registry'

export type { ModelProblem }

export interface ModelEntry {
  manifest: ModelManifest
  folder: string
  /** absolute path of a file the manifest names (checked at scan: a regular file inside the folder) */
  file(name: string): string
  /** latent models: the VAE named by manifest.latent.vae, when it is imported and fits */
  vae?: VaeEntry
  /** latent models: why the VAE at hand cannot serve (missing, wrong shape); set at scan */
  vaeProblem?: string
}

export interface ScanOptions {
  /** the app's own models root and the hashes its build recorded; files there must match */
  shipped?: ShippedModels | null
}

/**
 * Reads <root>/<folder>/manifest.json from each root. Each folder is loaded on its own: one
 * that cannot be read (a dangling link, a bad manifest, a missing, truncated or escaping file)
 * is reported with its reason and the others still load.
 */
export function scanModels(roots: readonly string[], options: ScanOptions = {}): { models: ModelEntry[]; problems: ModelProblem[] } {
  const models: ModelEntry[] = []
  const problems: ModelProblem[] = []
  for (const root of roots) {
    let names: string[]
    try {
      if (!statSync(root).isDirectory()) {
        problems.push({ folder: root, message: `the models root ${root} is not a folder` })
        continue
      }
      names = readdirSync(root).sort()
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      problems.push({ folder: root, message: `cannot read the models root ${root}: ${(error as Error).message}` })
      continue
    }
    const shipped = options.shipped && sameFolder(options.shipped.root, root) ? options.shipped : null
    for (const name of names) {
      // dot-folders are imports in progress (eqm import builds in .<id>.partial-<pid>, then renames)
      if (name.startsWith('.')) continue
      const folder = join(root, name)
      try {
        const kind = folderKind(folder)
        if (kind === 'skip') continue
        const entry = readModel(folder, shipped ? { hashes: shipped.hashes, prefix: name } : null)
        if (models.some((m) => m.manifest.id === entry.manifest.id)) {
          problems.push({ folder, message: `model id ${entry.manifest.id} is already loaded from another folder` })
        } else models.push(entry)
      } catch (error) {
        problems.push({ folder, message: error instanceof Error ? error.message : String(error) })
      }
    }
  }
  // VAEs live in <root>/vae/<id>/ and are shared by id; a latent model is tied to its VAE here
  const { vaes, problems: vaeProblems } = scanVaes(roots)
  problems.push(...vaeProblems)
  for (const entry of models) {
    if (entry.manifest.space !== 'latent') continue
    entry.vaeProblem = latentProblem(entry.manifest, vaes)
    if (entry.vaeProblem === undefined) entry.vae = vaes.get(entry.manifest.latent!.vae)
  }
  return { models, problems }
}

/** A folder with a manifest is a model; anything else in a root (files, notes) is passed over. */
function folderKind(folder: string): 'model' | 'skip' {
  let stat
  try {
    stat = statSync(folder)
  } catch (error) {
    throw new EngineError('model-invalid', `${folder} cannot be opened (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): a dangling link?`)
  }
  if (!stat.isDirectory()) return 'skip'
  try {
    statSync(join(folder, 'manifest.json'))
  } catch {
    return 'skip'
  }
  return 'model'
}

export function readModel(folder: string, shipped: { hashes: Record<string, string>; prefix: string } | null = null): ModelEntry {
  const path = join(folder, 'manifest.json')
  const realFolder = realpathSync(folder)
  try {
    checkModelFile(realFolder, 'manifest.json', shipped)
  } catch (error) {
    throw new EngineError('model-invalid', `${path} ${(error as Error).message}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new EngineError('model-invalid', `${path} is not valid JSON: ${(error as Error).message}`)
  }
  const parsed = modelManifestSchema.safeParse(raw)
  if (!parsed.success) throw new EngineError('model-invalid', `${path}: ${describeZodError(parsed.error)}`)
  const manifest = parsed.data
  const files = new Map<string, string>()
  for (const [role, name] of Object.entries(manifest.files)) {
    if (typeof name !== 'string') continue
    try {
      files.set(name, checkModelFile(realFolder, name, shipped))
    } catch (error) {
      throw new EngineError('model-invalid', `${manifest.id}: the ${role} file ${name} ${(error as Error).message}`)
    }
  }
  return {
    manifest,
    folder,
    file: (name) => {
      const checked = files.get(name)
      if (!checked) throw new EngineError('model-invalid', `${manifest.id}: ${name} is not one of the manifest's files`)
      return checked
    }
  }
}

function sameFolder(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b)
  } catch {
    return false
  }
}

/**
 * Why the engine cannot run jobs on this model, or undefined when it can: the manifest says so,
 * it has no gradient model, or (latent models) its VAE is missing or does not fit.
 */
export function unavailableReason(entry: Pick<ModelEntry, 'manifest' | 'vaeProblem'>): string | undefined {
  const manifest = entry.manifest
  if (manifest.unavailable) return manifest.unavailable
  if (manifest.files.gradient === undefined) return 'the manifest names no gradient model (files.gradient)'
  if (manifest.space === 'latent') return entry.vaeProblem
  return undefined
}

export function describeModel(entry: ModelEntry): ModelInfo {
  const m = entry.manifest
  return {
    id: m.id,
    title: m.title,
    space: m.space,
    shape: m.shape,
    imageShape: m.space === 'latent' && m.latent ? m.latent.imageShape : m.shape,
    ...(m.latent ? { vae: m.latent.vae } : {}),
    classes: m.classes,
    nullClass: m.nullClass,
    sampler: m.sampler,
    samplerPresets: resolveSamplerPresets(m.samplerPresets, m.sampler),
    studio: resolveStudioDefaults(m.studio, m.sampler),
    ood: m.ood,
    hasEnergy: m.files.energy !== undefined,
    hasClassifier: m.files.classifier !== undefined,
    hasOodNetwork: m.files.ood !== undefined,
    provenance: m.provenance,
    unavailable: unavailableReason(entry)
  }
}
