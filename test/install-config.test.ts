import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './support/paths'

// `npm install` with no environment variables must work where only the npm registry is
// reachable: dependencies' install scripts (Electron's binary, onnxruntime-node's CUDA
// download) are kept from running by .npmrc, with settings npm knows.
describe('install configuration', () => {
  it('.npmrc holds only settings npm knows (no "Unknown project config" warning)', () => {
    const npmrc = readFileSync(join(ROOT, '.npmrc'), 'utf8')
    expect(npmrc).toMatch(/^ignore-scripts=true$/m)
    const result = spawnSync('npm', ['config', 'get', 'ignore-scripts'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } })
    expect(result.stdout.trim()).toBe('true')
    expect(result.stderr).not.toMatch(/Unknown (project|user|global) config/)
  })

  it('electron stays a devDependency (electron-builder refuses it elsewhere) and CUDA is an explicit opt-in script', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    expect(pkg.devDependencies.electron).toBeTruthy()
    expect(pkg.dependencies.electron).toBeUndefined()
    expect(pkg.scripts.start).toBe('node scripts/start-desktop.mjs')
    expect(pkg.scripts['cuda:install']).toMatch(/onnxruntime-node\/script\/install --onnxruntime-node-install=cuda12/)
  })

  it('npm start with ELECTRON_EXEC_PATH pointing nowhere says so in one line, without starting anything', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts/start-desktop.mjs')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ELECTRON_EXEC_PATH: '/no/such/electron' }, timeout: 30_000 })
    expect(result.status).toBe(1)
    expect(result.stderr.trim()).toBe('ELECTRON_EXEC_PATH is set to /no/such/electron, which does not exist.')
  })
})
