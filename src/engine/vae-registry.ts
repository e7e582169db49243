import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ModelManifest } from '../shared/manifest'
import { describeZodError } from '../shared/manifest'
import { vaeManifestSchema, type VaeManifest } from '../shared/vae-manifest'
import { EngineError } from './errors'
import { checkModelFile } from './model-files'

/** An imported VAE, <root>/vae/<id>/vae.json, with its files checked at scan. */
export interface VaeEntry {
  manifest: VaeManifest
  folder: string
  encoderFile: string
  decoderFile: string
}

/**
 * Every <root>/vae/<id>/ of the roots. A folder that cannot be read is a problem with its
 * reason; the first root holding an id wins (the same order as models).
 */
export function scanVaes(roots: readonly string[]): { vaes: Map<string, VaeEntry>; problems: { folder: string; message: string }[] } {
  const vaes = new Map<string, VaeEntry>()
  const problems: { folder: string; message: string }[] = []
  for (const root of roots) {
    const base = join(root, 'vae')
    let names: string[]
    try {
      if (!statSync(base).isDirectory()) continue
      names = readdirSync(base).sort()
    } catch {
      continue
    }
    for (const name of names) {
      if (name.startsWith('.')) continue // an import in progress
      const folder = join(base, name)
      try {
        const entry = readVae(folder)
        if (entry.manifest.id !== name) throw new EngineError('model-invalid', `${folder}/vae.json has id "${entry.manifest.id}"; the folder must be named by it`)
        if (!vaes.has(name)) vaes.set(name, entry)
      } catch (error) {
        problems.push({ folder, message: error instanceof Error ? error.message : String(error) })
      }
    }
  }
  return { vaes, problems }
}

export function readVae(folder: string): VaeEntry {
  const path = join(folder, 'vae.json')
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new EngineError('model-invalid', `${path} cannot be read as JSON: ${(error as Error).message}`)
  }
  const parsed = vaeManifestSchema.safeParse(raw)
  if (!parsed.success) throw new EngineError('model-invalid', `${path}: ${describeZodError(parsed.error)}`)
  const real = realpathSync(folder)
  const file = (role: 'encoder' | 'decoder') => {
    try {
      return checkModelFile(real, parsed.data.files[role], null)
    } catch (error) {
      throw new EngineError('model-invalid', `VAE ${parsed.data.id}: the ${role} file ${parsed.data.files[role]} ${(error as Error).message}`)
    }
  }
  return { manifest: parsed.data, folder, encoderFile: file('encoder'), decoderFile: file('decoder') }
}

/**
 * Why a latent model cannot run with the VAEs at hand, or undefined when it can: the VAE it
 * names is missing (the reason says what to import), or it does not fit the model's latent.
 */
export function latentProblem(manifest: ModelManifest, vaes: ReadonlyMap<string, VaeEntry>): string | undefined {
  const latent = manifest.latent
  if (manifest.space !== 'latent') return undefined
  if (!latent) return 'a latent model without a latent block (VAE id and scale): re-import it with eqm import'
  const vae = vaes.get(latent.vae)
  if (!vae) return `needs the VAE "${latent.vae}", which is not imported: run eqm import-vae DIR --id ${latent.vae} (DIR: the diffusers folder of ${latent.vae})`
  const [channels, height, width] = manifest.shape
  const v = vae.manifest
  if (v.latentChannels !== channels) return `the VAE "${latent.vae}" has ${v.latentChannels} latent channels, the model ${channels}`
  const [, imageHeight, imageWidth] = latent.imageShape
  if (height * v.downscale !== imageHeight || width * v.downscale !== imageWidth) {
    return `the VAE "${latent.vae}" decodes a ${width}x${height} latent to ${width * v.downscale}x${height * v.downscale}, the model expects ${imageWidth}x${imageHeight} images`
  }
  if (Math.abs(v.scale - latent.scale) > 1e-9) return `the VAE "${latent.vae}" scales latents by ${v.scale}, the model by ${latent.scale}`
  return undefined
}
