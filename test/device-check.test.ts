import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './support/paths'

/**
 * The device check (scripts/device-check.sh, issue 13 item 6) waits for a lent GPU; its short
 * CPU mode runs the same benchmark code here so that it cannot rot in between.
 */
describe('device check, short CPU mode', () => {
  it('runs the device benchmark on the embedded model and writes its JSON', () => {
    const out = mkdtempSync(join(tmpdir(), 'eqm-device-check-'))
    try {
      const run = spawnSync('bash', ['scripts/device-check.sh', '--cpu-short'], { cwd: ROOT, env: { ...process.env, OUT: out }, encoding: 'utf8', timeout: 120_000 })
      expect(run.status, run.stdout + run.stderr).toBe(0)
      const report = JSON.parse(readFileSync(join(out, 'device-check.json'), 'utf8'))
      expect(report.provider).toBe('cpu')
      const [model] = report.models
      expect(model.model).toBe('fashion-mnist')
      for (const ms of Object.values(model.msPerCall)) expect(ms).toBeGreaterThan(0)
      expect(model.descentPath.hostMsPerStep).toBeGreaterThan(0)
      expect(model.descentPath.graphMsPerStep).toBeGreaterThan(0)
      expect(model.descentPath.residentMsPerStep).toBeGreaterThan(0)
      expect(model.clockPath.hostMsPerEvaluation).toBeGreaterThan(0)
      expect(model.clockPath.residentMsPerEvaluation).toBeGreaterThan(0)
      expect(model.tuning.variants.defaults.msPerCall).toBeGreaterThan(0)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  }, 150_000)

  it('packs the device script and its GPU mode reads what the packer writes', () => {
    // the GPU mode cannot run here; its shell syntax and the names it shares with the packer can be checked
    for (const script of ['scripts/device-check.sh', 'scripts/device-pack.sh']) expect(spawnSync('bash', ['-n', script], { cwd: ROOT }).status).toBe(0)
    const pack = readFileSync(join(ROOT, 'scripts/device-pack.sh'), 'utf8')
    const check = readFileSync(join(ROOT, 'scripts/device-check.sh'), 'utf8')
    for (const name of ['runtime.tar.xz', 'bench-device.cjs', 'bench.cjs', 'models']) {
      expect(pack).toContain(name)
      expect(check).toContain(`.device/${name}`)
    }
  })
})
