#!/usr/bin/env node
// Type-checks each runtime with its own tsconfig (tsconfig/*.json): the renderer sees DOM and
// no Node, shared/ sees neither, engine/cli/web see Node and no DOM. One config for all would
// let a renderer `import 'node:fs'` typecheck.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
let failed = 0
for (const runtime of ['shared', 'engine', 'main', 'renderer', 'tests']) {
  const result = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(root, 'tsconfig', `${runtime}.json`)], { cwd: root, stdio: 'inherit' })
  console.log(`typecheck ${runtime}: ${result.status === 0 ? 'ok' : 'FAILED'}`)
  if (result.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
