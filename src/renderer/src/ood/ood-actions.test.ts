import { afterAll, describe, expect, it } from 'vitest'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { Engine, type EngineSink } from '../../../engine/engine'
import { EngineClient } from '../host/engine-client'
import type { EngineConnection } from '../host/connection'
import type { EngineMessage, ModelInfo } from '../../../shared/engine-protocol'
import type { RgbaImage } from '../../../shared/image-convert'
import { FIXTURE_MODELS } from '../../../../test/support/paths'
import { oodSlice } from './ood-store'
import { createStudioStore } from '../store/studio-store'
import { clearOod, importOodFiles, OOD_BATCH, stopOodImport, type OodImportDeps } from './ood-actions'

// The OOD import against the real engine in one process, on the quadratic field (score:
// RMS of x, threshold 0.3; gray 128 sits on the minimum). Files are decoded with pngjs
// here instead of the browser's codecs.
const models = mkdtempSync(join(tmpdir(), 'eqm-ood-'))
cpSync(join(FIXTURE_MODELS, 'quadratic'), join(models, 'quadratic'), { recursive: true })
const uncalibrated = join(models, 'uncal')
cpSync(join(FIXTURE_MODELS, 'quadratic'), uncalibrated, { recursive: true })
const manifest = JSON.parse(readFileSync(join(uncalibrated, 'manifest.json'), 'utf8'))
writeFileSync(join(uncalibrated, 'manifest.json'), JSON.stringify({ ...manifest, id: 'uncal', ood: null }))
const engine = new Engine({ modelRoots: [models], frameIntervalMs: 0 })
afterAll(() => engine.dispose())

function connect(): { client: EngineClient; calls: { method: string; images: number }[] } {
  const client = new EngineClient()
  const calls: { method: string; images: number }[] = []
  let listener: ((m: EngineMessage) => void) | null = null
  const sink: EngineSink = { send: (m) => setImmediate(() => listener?.(structuredClone(m))) }
  const connection: EngineConnection = {
    send: (m) => {
      if (m.kind === 'request') calls.push({ method: m.method, images: (m.params as { images?: unknown[] }).images?.length ?? 0 })
      setImmediate(() => engine.receive(sink, structuredClone(m)))
    },
    onMessage: (l) => {
      listener = l
    },
    close: () => undefined
  }
  client.attach(connection)
  return { client, calls }
}

const deps: OodImportDeps = {
  async decode(file: File): Promise<RgbaImage> {
    try {
      const png = PNG.sync.read(Buffer.from(await file.arrayBuffer()))
      return { width: png.width, height: png.height, data: new Uint8Array(png.data) }
    } catch {
      throw new Error(`${file.name}: not an image this app can read (PNG, JPEG, WebP, GIF or BMP), or the file is corrupt`)
    }
  },
  thumbnail: (bytes) => `thumb:${bytes.length}`
}

function pngFile(name: string, width: number, height: number, value: (i: number) => number): File {
  const png = new PNG({ width, height })
  for (let i = 0; i < width * height; i++) {
    png.data[i * 4] = png.data[i * 4 + 1] = png.data[i * 4 + 2] = value(i)
    png.data[i * 4 + 3] = 255
  }
  return new File([new Uint8Array(PNG.sync.write(png))], name, { type: 'image/png' })
}

async function model(id = 'quadratic'): Promise<ModelInfo> {
  return engine.listModels().find((m) => m.id === id)!
}

describe('OOD import with the real engine', () => {
  it('scores in batches of 64, flags far images, passes near ones, reports bad files alone', async () => {
    const { client, calls } = connect()
    const store = oodSlice(createStudioStore())
    const files = [
      pngFile('white.png', 8, 8, () => 255),
      pngFile('gray.png', 8, 8, () => 128),
      new File([new TextEncoder().encode('plain text')], 'notes.txt'),
      ...Array.from({ length: 80 }, (_, k) => pngFile(`near-${k}.png`, 16, 16, (i) => 128 + ((i * 7 + k) % 9) - 4))
    ]
    await importOodFiles(store, client, await model(), files, deps)
    const { entries, importing, modelId } = store.getState()
    expect(importing).toBeNull()
    expect(modelId).toBe('quadratic')
    expect(entries).toHaveLength(83)
    const byName = new Map(entries.map((e) => [e.name, e]))
    expect(byName.get('white.png')).toMatchObject({ status: 'done', flagged: true, percentile: 1, thumb: 'thumb:64', original: { width: 8, height: 8 } })
    expect(byName.get('white.png')!.score).toBeCloseTo(1, 5)
    expect(byName.get('gray.png')).toMatchObject({ status: 'done', flagged: false })
    expect(byName.get('gray.png')!.score).toBeLessThan(0.01)
    expect(byName.get('notes.txt')).toMatchObject({ status: 'error' })
    expect(byName.get('notes.txt')!.error).toMatch(/^not an image/)
    expect(entries.filter((e) => e.name.startsWith('near-')).every((e) => e.status === 'done' && e.flagged === false)).toBe(true)
    // 82 images: one full batch and the rest
    const scoring = calls.filter((c) => c.method === 'ood.score').map((c) => c.images)
    expect(scoring.every((n) => n <= OOD_BATCH)).toBe(true)
    expect(scoring.reduce((a, b) => a + b, 0)).toBe(82)
    // names sorted, numbers in order
    expect(entries.slice(0, 4).map((e) => e.name)).toEqual(['gray.png', 'near-0.png', 'near-1.png', 'near-2.png'])
  })

  it('adds a second import to the list and clears it on request', async () => {
    const { client } = connect()
    const store = oodSlice(createStudioStore())
    await importOodFiles(store, client, await model(), [pngFile('a.png', 8, 8, () => 0)], deps)
    // issue 8 finding 12: a filter left on would hide the new rows; a new import shows them all
    store.setState({ filter: 'errors' })
    await importOodFiles(store, client, await model(), [pngFile('b.png', 8, 8, () => 128)], deps)
    expect(store.getState().filter).toBe('all')
    expect(store.getState().entries.map((e) => [e.name, e.order, e.flagged])).toEqual([
      ['a.png', 0, true],
      ['b.png', 1, false]
    ])
    clearOod(store)
    expect(store.getState().entries).toEqual([])
  })

  it('starts a new list when the model changed, and says so', async () => {
    const { client } = connect()
    const store = oodSlice(createStudioStore())
    await importOodFiles(store, client, await model(), [pngFile('a.png', 8, 8, () => 0)], deps)
    await importOodFiles(store, client, await model('uncal'), [pngFile('b.png', 8, 8, () => 255)], deps)
    const state = store.getState()
    expect(state.entries.map((e) => e.name)).toEqual(['b.png'])
    expect(state.message?.text).toMatch(/model changed/)
  })

  it('an uncalibrated model gives scores without flags or percentiles', async () => {
    const { client } = connect()
    const store = oodSlice(createStudioStore())
    await importOodFiles(store, client, await model('uncal'), [pngFile('w.png', 8, 8, () => 255), pngFile('g.png', 8, 8, () => 128)], deps)
    const [g, w] = store.getState().entries
    expect(w).toMatchObject({ name: 'w.png', status: 'done', flagged: null, percentile: null })
    expect(g).toMatchObject({ name: 'g.png', status: 'done', flagged: null, percentile: null })
    expect(w.score!).toBeGreaterThan(g.score! + 0.5)
  })

  it('stopping keeps what was scored and drops the rest', async () => {
    const { client } = connect()
    const store = oodSlice(createStudioStore())
    const files = Array.from({ length: 200 }, (_, k) => pngFile(`f-${k}.png`, 8, 8, () => 128))
    const running = importOodFiles(store, client, await model(), files, deps)
    await new Promise<void>((resolve) => {
      const stop = store.subscribe((s) => {
        if (s.entries.some((e) => e.status === 'done')) {
          stop()
          stopOodImport(store)
          resolve()
        }
      })
    })
    await running
    const { entries, importing, message } = store.getState()
    expect(importing).toBeNull()
    expect(message?.text).toMatch(/stopped/)
    expect(entries.length).toBeGreaterThan(0)
    expect(entries.length).toBeLessThan(200)
    expect(entries.every((e) => e.status === 'done')).toBe(true)
  })

  it('says so when there is no model or no file', async () => {
    const { client } = connect()
    const store = oodSlice(createStudioStore())
    await importOodFiles(store, client, null, [pngFile('a.png', 8, 8, () => 0)], deps)
    expect(store.getState().message).toMatchObject({ kind: 'error' })
    await importOodFiles(store, client, await model(), [], deps)
    expect(store.getState().message?.text).toMatch(/no files/)
    expect(store.getState().entries).toEqual([])
  })
})
