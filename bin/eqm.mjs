#!/usr/bin/env node
// The `eqm` command: runs the built CLI (out/main/cli.js); in a source checkout that has not
// been built yet, runs the TypeScript source through tsx instead.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const built = join(root, 'out', 'main', 'cli.js')
if (existsSync(built)) {
  createRequire(import.meta.url)(built)
} else {
  try {
    // tsImport, not register() + import(): on Node >= 20.19 the latter loads the source through
    // require(esm) and fails on the CLI's import cycle (ERR_REQUIRE_CYCLE_MODULE)
    const { tsImport } = await import('tsx/esm/api')
    await tsImport(pathToFileURL(join(root, 'src', 'cli', 'index.ts')).href, import.meta.url)
  } catch (error) {
    console.error(`eqm: the CLI is not built; run "npm run build" first (${error.message})`)
    process.exit(1)
  }
}
