import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { writeFileDurably } from './durable-file'

const dir = mkdtempSync(join(tmpdir(), 'eqm-durable-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('writeFileDurably', () => {
  it('writes every byte of a large buffer and of a string', () => {
    const bytes = new Uint8Array(5 * 2 ** 20).map((_, i) => (i * 7919) & 255)
    writeFileDurably(join(dir, 'big.bin'), bytes)
    expect(Buffer.from(readFileSync(join(dir, 'big.bin'))).equals(Buffer.from(bytes))).toBe(true)
    writeFileDurably(join(dir, 'text.json'), '{"é":1}')
    expect(readFileSync(join(dir, 'text.json'), 'utf8')).toBe('{"é":1}')
  })

  it('a write that fails leaves the old file and no temporary file behind', () => {
    // a folder in the way: the rename over it fails after the temporary file was written
    const blocked = join(dir, 'blocked')
    mkdirSync(blocked)
    writeFileSync(join(blocked, 'inside'), 'x')
    expect(() => writeFileDurably(blocked, new Uint8Array(1024))).toThrow()
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([])
    expect(readFileSync(join(blocked, 'inside'), 'utf8')).toBe('x')
  })
})
