import { join, sep } from 'node:path'
import type { ShippedModels } from './model-files'

/**
 * Replaced at build time (electron.vite.config.ts "define") by the SHA-256 of every file under
 * models/: the list lives inside the bundled code (app.asar, covered by its integrity check),
 * not beside the models, so editing a shipped model means editing the signed bundle too.
 */
declare const __EQM_SHIPPED_MODEL_HASHES__: Record<string, string> | undefined

/**
 * The packaged app's models root (resources/models, shipped outside the asar) with this build's
 * hashes; null when not running from a packaged app (development, tests, CLI from a checkout),
 * where models/ is the developer's own working folder.
 */
export function shippedModelsOfThisBuild(): ShippedModels | null {
  const hashes = typeof __EQM_SHIPPED_MODEL_HASHES__ === 'undefined' ? undefined : __EQM_SHIPPED_MODEL_HASHES__
  const resources = packagedResourcesFolder(__dirname)
  return hashes && resources ? { root: join(resources, 'models'), hashes } : null
}

/** <resources>/app.asar/out/main[/chunks] -> <resources>; null outside an asar. */
export function packagedResourcesFolder(codeFolder: string): string | null {
  const parts = codeFolder.split(/[\\/]/)
  const at = parts.lastIndexOf('app.asar')
  return at > 0 ? parts.slice(0, at).join(sep) : null
}
