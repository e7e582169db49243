#!/usr/bin/env node
// `npm start` / `npm run dev`: the desktop app through electron-vite, once the Electron binary
// is there. npm install does not download it (.npmrc ignore-scripts), so the first start
// fetches it; where Electron's download host cannot be reached, this says so plainly and
// what to do instead, rather than electron-vite's "Electron uninstall".
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const root = join(import.meta.dirname, '..')
const require = createRequire(join(root, 'package.json'))
const mode = process.argv[2] === 'dev' ? 'dev' : 'preview'

/** The binary electron's package points at, or null (package or binary missing). */
function electronBinary() {
  if (process.env.ELECTRON_EXEC_PATH) return existsSync(process.env.ELECTRON_EXEC_PATH) ? process.env.ELECTRON_EXEC_PATH : null
  try {
    const folder = dirname(require.resolve('electron/package.json'))
    const relative = readFileSync(join(folder, 'path.txt'), 'utf8')
    const binary = join(folder, 'dist', relative)
    return existsSync(binary) ? binary : null
  } catch {
    return null
  }
}

function electronPackage() {
  try {
    return dirname(require.resolve('electron/package.json'))
  } catch {
    return null
  }
}

function wantedVersion() {
  const folder = electronPackage()
  if (folder) return JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')).version
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.electron
}

if (process.env.ELECTRON_EXEC_PATH && !electronBinary()) {
  console.error(`ELECTRON_EXEC_PATH is set to ${process.env.ELECTRON_EXEC_PATH}, which does not exist.`)
  process.exit(1)
}

if (!electronBinary()) {
  const folder = electronPackage()
  if (folder) {
    const { version } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'))
    console.log(`Downloading the Electron ${version} binary (once)...`)
    spawnSync(process.execPath, [join(folder, 'install.js')], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 })
  }
}

if (!electronBinary()) {
  console.error(`
The Electron binary is missing, so the desktop app cannot start.
npm install does not download it, and fetching it now failed (this machine may not reach
Electron's download host). Either:
  - on a machine that can reach it: npm run electron:download, then npm start
  - point ELECTRON_EXEC_PATH at an Electron ${wantedVersion()} binary you have
  - or use the same studio in your browser: npm run web
`)
  process.exit(1)
}

const cli = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js')
const result = spawnSync(process.execPath, [cli, mode, ...process.argv.slice(3)], { cwd: root, stdio: 'inherit' })
process.exit(result.status ?? 1)
