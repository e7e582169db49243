import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './support/paths'

/** Runs dependency-cruiser with the project's rules; returns its JSON report. */
function cruise(cwd: string, args: string[]) {
  const bin = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs')
  const run = spawnSync(process.execPath, [bin, ...args, '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'], { cwd, encoding: 'utf8' })
  return JSON.parse(run.stdout) as {
    summary: { violations: { rule: { name: string }; from: string; to: string }[] }
    modules: { source: string; dependencies: { resolved: string }[] }[]
  }
}

describe('the layer rule (one runtime per folder)', () => {
  it('fails every forbidden import in the fixture tree and passes the allowed one', () => {
    const report = cruise(join(ROOT, 'test', 'fixtures', 'layers'), ['src', 'bench'])
    const broken = report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)
    for (const rule of [
      'renderer-only-shared',
      'renderer-no-node',
      'shared-imports-nothing-of-ours',
      'shared-has-no-runtime',
      'engine-imports-down-only',
      'nothing-imports-main',
      'no-electron-outside-desktop',
      'faces-stay-apart',
      'preload-only-shared',
      'bench-runs-the-engine'
    ]) {
      expect(broken.some((line) => line.startsWith(`${rule}:`)), `${rule} should fire:\n${broken.join('\n')}`).toBe(true)
    }
    expect(broken.filter((line) => line.includes('allowed.ts'))).toEqual([])
  })

  it('holds for the project: folders only point downward', () => {
    const report = cruise(ROOT, ['src', 'bench'])
    expect(report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([])
    // the folder graph: which runtime imports which (tests excluded, they drive real parts)
    const part = (file: string) => (/^src\/renderer\//.test(file) ? 'renderer' : /^src\/([^/]+)\//.exec(file)?.[1] ?? (file.startsWith('bench/') ? 'bench' : null))
    const edges = new Set<string>()
    for (const m of report.modules) {
      if (/\.test\.tsx?$/.test(m.source)) continue
      const from = part(m.source)
      for (const d of m.dependencies) {
        const to = part(d.resolved)
        if (from && to && from !== to) edges.add(`${from}->${to}`)
      }
    }
    const allowed = new Set(['main->engine', 'main->shared', 'web->engine', 'web->shared', 'cli->engine', 'cli->shared', 'engine->shared', 'renderer->shared', 'preload->shared', 'bench->engine', 'bench->shared'])
    expect([...edges].filter((e) => !allowed.has(e))).toEqual([])
    expect(edges.has('engine->shared') && edges.has('renderer->shared') && edges.has('web->engine') && edges.has('cli->engine')).toBe(true)
  })
})
