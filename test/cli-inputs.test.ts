import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { FIXTURE_MODELS, ROOT } from './support/paths'

// The CLI's file inputs and outputs: batches past the engine's 1024-image cap, folders walked,
// FIFOs skipped, --out checked before any work, strict integers.
const work = mkdtempSync(join(tmpdir(), 'eqm-cli-inputs-'))
const models = join(work, 'models')
cpSync(join(FIXTURE_MODELS, 'quadratic'), join(models, 'quadratic'), { recursive: true })

function eqm(args: string[], timeout = 120_000) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/eqm.mjs'), ...args, '--models', models], { encoding: 'utf8', timeout })
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr, lines: result.stdout.trim().split('\n').filter(Boolean) }
}

function png(value: number): Buffer {
  const image = new PNG({ width: 8, height: 8 })
  image.data.fill(value)
  return PNG.sync.write(image)
}

describe('eqm ood over many files and folders', () => {
  it('scores 1100 images in nested folders, one JSON line per file, in batches', () => {
    const folder = join(work, 'many')
    mkdirSync(join(folder, 'nested', 'deeper'), { recursive: true })
    for (let i = 0; i < 1100; i++) {
      const sub = i % 3 === 0 ? folder : i % 3 === 1 ? join(folder, 'nested') : join(folder, 'nested', 'deeper')
      writeFileSync(join(sub, `img-${i}.png`), png(i % 256))
    }
    writeFileSync(join(folder, 'notes.txt'), 'not an image: passed over in a folder')
    const { code, lines, stderr } = eqm(['ood', folder, '--json'])
    expect(code, stderr).toBe(0)
    expect(lines).toHaveLength(1100)
    const parsed = lines.map((l) => JSON.parse(l))
    expect(Object.keys(parsed[0]).sort()).toEqual(['file', 'flagged', 'percentile', 'score'])
    expect(new Set(parsed.map((p) => p.file)).size).toBe(1100)
    expect(parsed.every((p) => typeof p.score === 'number')).toBe(true)
  })

  it('skips a FIFO (named or inside a folder) instead of hanging, and names a bad file while scoring the rest', () => {
    const folder = join(work, 'odd')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'good.png'), png(90))
    writeFileSync(join(folder, 'broken.png'), png(90).subarray(0, 40))
    const fifo = join(folder, 'pipe.png')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const { code, signal, lines, stderr } = eqm(['ood', folder, fifo, '--json'], 30_000)
    expect(signal).toBeNull() // not killed by the timeout
    expect(code).toBe(1)
    expect(lines.map((l) => JSON.parse(l).file)).toEqual([join(folder, 'good.png')])
    expect(stderr).toContain(`${fifo} is not a regular file`)
    expect(stderr).toMatch(/broken.png: corrupt or unsupported image/)
  })
})

describe('--out is checked before any work', () => {
  it.each([
    [['generate', '--class', 'light', '--count', '2'], 'a-file.png', /--out .*a-file.png is a file; generate and compose write into a folder/],
    [['repair', '--in', 'IN', '--mask', 'IN'], 'a-folder', /--out .*a-folder is a folder; repair writes one PNG file/],
    [['repair', '--in', 'IN', '--mask', 'IN'], '/proc/eqm-repaired.png', /--out \/proc\/eqm-repaired.png: the folder \/proc is not writable/],
    [['generate', '--class', 'light'], join('a-file.png', 'images'), /--out .*a-file.png\/images: the folder cannot be created \(ENOTDIR\)/],
    [['repair', '--in', 'IN', '--mask', 'IN'], join('no-such-folder', 'x.png'), /the folder .*no-such-folder does not exist/]
  ])('%j --out %s fails with one line', (args, out, message) => {
    const input = join(work, 'in.png')
    writeFileSync(input, png(100))
    writeFileSync(join(work, 'a-file.png'), png(1))
    mkdirSync(join(work, 'a-folder'), { recursive: true })
    const target = out.startsWith('/') ? out : join(work, out)
    const { code, stderr } = eqm([...args.map((a) => (a === 'IN' ? input : a)), '--out', target, '--seed', '1'])
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(message)
    expect(readdirSync(join(work, 'a-folder'))).toEqual([])
  })
})

describe('numbers are decimal, integers whole', () => {
  it.each([
    [['--count', '0x10'], /--count must be a number, got "0x10"/],
    [['--count', ' 16'], /--count must be a number, got " 16"/],
    [['--count', '1e1'], /--count must be a whole number from 1 to 256, got "1e1"/],
    [['--seed', '0b101'], /--seed must be a number, got "0b101"/],
    [['--steps', 'Infinity'], /--steps must be a number, got "Infinity"/],
    [['--mu', '0x0'], /--mu must be a number, got "0x0"/]
  ])('%j is refused', (option, message) => {
    const out = join(work, 'never')
    const { code, stderr } = eqm(['generate', '--class', 'light', ...option, '--out', out])
    expect(code).toBe(2)
    expect(stderr).toMatch(message)
    expect(existsSync(out)).toBe(false)
  })
})
