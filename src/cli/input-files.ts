import { readdirSync, realpathSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Extensions taken when walking a folder (a file named on the command line is always tried). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.gif', '.avif']

export interface InputFiles {
  files: string[]
  /** named paths passed over, each with why (not a regular file, unreadable) */
  skipped: { path: string; reason: string }[]
}

/**
 * Expands the command line's paths into image files: folders are walked recursively in name
 * order (as the studio does with a dropped folder), links followed once (a loop is walked
 * once), hidden entries passed over; FIFOs, sockets and devices are skipped, never opened,
 * since reading a FIFO would wait forever.
 */
export function collectInputFiles(paths: readonly string[]): InputFiles {
  const out: InputFiles = { files: [], skipped: [] }
  const walked = new Set<string>()
  const visit = (path: string, named: boolean): void => {
    let stat
    try {
      stat = statSync(path)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      out.skipped.push({ path, reason: code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})` })
      return
    }
    if (stat.isDirectory()) {
      const real = realpathSync(path)
      if (walked.has(real)) return
      walked.add(real)
      let names: string[]
      try {
        names = readdirSync(path).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
      } catch (error) {
        out.skipped.push({ path, reason: `the folder cannot be read (${(error as NodeJS.ErrnoException).code})` })
        return
      }
      for (const name of names) {
        if (name.startsWith('.')) continue
        const child = join(path, name)
        if (!isFolder(child) && !IMAGE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext))) continue
        visit(child, false)
      }
    } else if (stat.isFile()) out.files.push(path)
    else if (named) out.skipped.push({ path, reason: 'is not a regular file (a FIFO, socket or device); skipped' })
  }
  for (const path of paths) visit(path, true)
  return out
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
