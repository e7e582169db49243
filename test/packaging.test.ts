import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './support/paths'

// electron-builder downloads Electron to build installers, so `npm run dist` cannot run
// here; what can be checked without it is that the config packs what the app needs.
const config = JSON.parse(readFileSync(join(ROOT, 'electron-builder.json'), 'utf8'))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))

describe('electron-builder config', () => {
  it('unpacks onnxruntime-node from asar (native libraries cannot load from inside it)', () => {
    expect(config.asarUnpack).toContain('node_modules/onnxruntime-node/**')
    expect(pkg.dependencies['onnxruntime-node']).toBeTruthy()
  })

  it('ships the models folder beside the app, where main looks for it', () => {
    expect(config.extraResources).toEqual([expect.objectContaining({ from: 'models', to: 'models' })])
    expect(readFileSync(join(ROOT, 'src/main/index.ts'), 'utf8')).toContain("join(process.resourcesPath, 'models')")
  })

  it('targets AppImage/deb, dmg and nsis and packs the built output', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']))
    expect(config.mac.target).toContain('dmg')
    expect(config.win.target).toContain('nsis')
    expect(config.files).toContain('out/**')
    expect(pkg.main).toBe('out/main/index.js')
  })
})
