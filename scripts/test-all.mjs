#!/usr/bin/env node
// `npm test`: every test layer this machine can run, each skipped layer with its reason.
// Under CI=true a missing system dependency is a failure, except the Electron binary.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const ci = process.env.CI === 'true'
const python = process.env.EQM_PYTHON ?? '/usr/bin/python3'
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const totals = { passed: 0, failed: 0, skipped: 0 }
const layers = []

// One temp folder for the whole run, handed to every layer (and the servers, CLIs and browsers they
// start) as TMPDIR and removed at the end: tests make scratch folders, models and user-data folders,
// and a few cannot remove theirs (fixtures shared with Playwright, killed servers), which used to pile
// up in /tmp run after run. EQM_KEEP_TEST_TMP=1 keeps it for a post-mortem.
const runTemp = mkdtempSync(join(tmpdir(), 'eqm-test-run-'))
process.env.TMPDIR = runTemp
function removeRunTemp() {
  if (process.env.EQM_KEEP_TEST_TMP === '1') console.log(`\ntest temp folder kept: ${runTemp}`)
  else rmSync(runTemp, { recursive: true, force: true, maxRetries: 3 })
}

function run(command, args, env = {}) {
  console.log(`\n$ ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
  return result.status ?? 1
}

function layer(name, fn) {
  const outcome = fn()
  layers.push({ name, ...outcome })
  if (outcome.skipped) console.log(`\n[${name}] SKIPPED: ${outcome.skipped}`)
}

function npx(bin, args, env) {
  return run(process.execPath, [join(root, 'node_modules', '.bin', bin), ...args], env)
}

layer('typecheck (one tsconfig per runtime)', () => {
  const code = run(process.execPath, [join(root, 'scripts', 'typecheck.mjs')])
  code === 0 ? totals.passed++ : totals.failed++
  return { ok: code === 0 }
})

layer('layers (dependency-cruiser: each runtime imports only what it may)', () => {
  const code = npx('depcruise', ['src', 'bench', '--config', '.dependency-cruiser.cjs'])
  code === 0 ? totals.passed++ : totals.failed++
  return { ok: code === 0 }
})

layer('build', () => {
  const code = npx('electron-vite', ['build'])
  code === 0 ? totals.passed++ : totals.failed++
  return { ok: code === 0 }
})

layer('unit + engine integration (vitest)', () => {
  const report = join(root, 'test-results', 'vitest.json')
  rmSync(report, { force: true })
  const code = npx('vitest', ['run', '--reporter=default', '--reporter=json', `--outputFile=${report}`])
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, 'utf8'))
    totals.passed += r.numPassedTests
    totals.failed += r.numFailedTests
    totals.skipped += r.numPendingTests + (r.numTodoTests ?? 0)
  } else totals.failed++
  return { ok: code === 0 }
})

layer('training (pytest)', () => {
  if (!existsSync(join(root, 'training', 'tests'))) return { ok: true, skipped: 'no training/tests folder' }
  const probe = spawnSync(python, ['-c', 'import torch, onnx, pytest, sklearn, skimage, PIL'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    const reason = `${python} lacks torch, onnx, pytest, sklearn, skimage or PIL (apt-get install python3-torch python3-onnx python3-pytest python3-sklearn python3-skimage python3-pil)`
    if (ci) {
      totals.failed++
      return { ok: false, skipped: `${reason}; not allowed under CI` }
    }
    return { ok: true, skipped: reason }
  }
  const out = spawnSync(python, ['-m', 'pytest', 'training/tests', '-q', '-p', 'no:cacheprovider'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  process.stdout.write(out.stdout)
  const summary = out.stdout.split('\n').reverse().find((l) => /\d+ (passed|failed)/.test(l)) ?? ''
  for (const kind of ['passed', 'failed', 'skipped']) {
    const m = summary.match(new RegExp(`(\\d+) ${kind}`))
    if (m) totals[kind] += Number(m[1])
  }
  if (out.status !== 0 && !/\d+ failed/.test(summary)) totals.failed++
  return { ok: out.status === 0 }
})

layer('e2e (Playwright, browser mode in Chromium; Electron where a binary exists)', () => {
  if (!existsSync(chromium)) {
    const reason = `no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`
    if (ci) {
      totals.failed++
      return { ok: false, skipped: `${reason}; not allowed under CI` }
    }
    return { ok: true, skipped: reason }
  }
  const report = join(root, 'test-results', 'e2e.json')
  rmSync(report, { force: true })
  const code = npx('playwright', ['test'])
  if (existsSync(report)) {
    const stats = JSON.parse(readFileSync(report, 'utf8')).stats
    totals.passed += stats.expected + (stats.flaky ?? 0)
    totals.failed += stats.unexpected
    totals.skipped += stats.skipped
  } else totals.failed++
  return { ok: code === 0 }
})

console.log('\nEqM Studio test layers:')
for (const l of layers) console.log(`  ${l.ok ? (l.skipped ? 'skip' : ' ok ') : 'FAIL'}  ${l.name}${l.skipped ? ` (${l.skipped})` : ''}`)
console.log(`\nTotal: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
removeRunTemp()
process.exit(layers.every((l) => l.ok) ? 0 : 1)
