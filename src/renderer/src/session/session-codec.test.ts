import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createStudioStore, type GalleryItem, type StudioState } from '../store/studio-store'
import { decodeSession, encodeSession, sessionPhotos, type SavedParts } from './session-codec'
import { historyOps } from './autosave'
import { addStroke, replaceDocument, type HistoryEntry, type RepairDocument } from '../repair/repair-history'
import { composeSlice, type ComposeState } from '../compose/compose-store'
import type { Stroke } from '../repair/mask'
import { UserData } from '../../../engine/user-data-store'
import { BLOB_REF_PATTERN } from '../../../shared/engine-protocol'
import { REPAIR, SAMPLER, type NumberSetting } from '../../../shared/settings'

const FIXTURES = join(__dirname, '../../../../test/fixtures/sessions')
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')).data as Record<string, unknown>
const REF = `${'ab'.repeat(32)}.png`

/**
 * Saves a studio state as the autosave does, into a real user-data folder (session.json,
 * the history journal, the image store: the engine's own classes), then loads it back as a
 * new start does.
 */
// one root for every round trip of this file (the property tests make hundreds), removed at the end
const ROOT = mkdtempSync(join(tmpdir(), 'eqm-codec-'))
afterAll(() => rmSync(ROOT, { recursive: true, force: true }))

async function throughFiles(state: StudioState, compose?: ComposeState): Promise<SavedParts> {
  const folder = mkdtempSync(join(ROOT, 'trip-'))
  const writer = new UserData(join(folder, 'session.json'))
  const view = {}
  await writer.load(view)
  const refs = new Map(sessionPhotos(state).map((bytes) => [bytes, writer.blobs.put(bytes, 'raw')]))
  writer.append(view, historyOps([], state.gallery))
  writer.save(view, JSON.parse(JSON.stringify(encodeSession(state, compose, (bytes) => refs.get(bytes)!))))
  writer.detach(view)
  const reader = new UserData(join(folder, 'session.json'))
  const loaded = await reader.load({})
  const snapshot = loaded.session as { data: unknown }
  return { session: snapshot.data, history: loaded.history.entries, photo: (ref) => Uint8Array.from(reader.blobs.get(ref)) }
}

function decoded(saved: SavedParts) {
  return decodeSession(saved, createStudioStore().getState())
}
/** a session file as release 0.1.0 wrote it, with no journal */
const legacy = (data: unknown): SavedParts => ({ session: data, history: [], photo: () => undefined })

// ---- random studio states: every number the types allow, NaN, ±Infinity and -0 included
const anyDouble = fc.double()
const text = fc.string({ unit: 'binary', maxLength: 40 })
// keys: any text but "__proto__", which the codec drops on purpose (a saved file never sets a
// prototype; the test 'drops "__proto__" keys' below checks that)
const key = text.filter((k) => k !== '__proto__')
const jsonish = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, anyDouble, text, fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 }))
})).value
/** a value the settings module allows (bounded settings are validated, so they are generated within bounds) */
const within = (setting: NumberSetting) => (setting.integer ? fc.integer({ min: setting.min, max: setting.max }) : fc.double({ min: setting.min, max: setting.max, noNaN: true }))
const sampler = fc.record({
  method: fc.constantFrom('gd' as const, 'nag' as const),
  stepSize: within(SAMPLER.stepSize),
  mu: within(SAMPLER.mu),
  maxSteps: within(SAMPLER.maxSteps),
  stopGradNorm: within(SAMPLER.stopGradNorm),
  cfg: within(SAMPLER.cfg)
})
const stroke: fc.Arbitrary<Stroke> = fc.record({
  points: fc.array(fc.tuple(anyDouble, anyDouble), { maxLength: 6 }),
  size: anyDouble,
  opacity: anyDouble,
  softness: anyDouble,
  erase: fc.boolean()
})
const photo = fc.record({
  name: text,
  originalWidth: fc.integer(),
  originalHeight: fc.integer(),
  width: fc.integer({ min: 1, max: 64 }),
  height: fc.integer({ min: 1, max: 64 }),
  channels: fc.integer({ min: 1, max: 3 }),
  bytes: fc.uint8Array({ maxLength: 64 })
})
const document: fc.Arbitrary<RepairDocument> = fc.record({ photo: fc.option(photo, { nil: null }), strokes: fc.array(stroke, { maxLength: 3 }) })
const entry: fc.Arbitrary<HistoryEntry> = fc.oneof(
  fc.record({ kind: fc.constant('stroke' as const), stroke }),
  fc.record({ kind: fc.constant('replace' as const), label: fc.constantFrom('import' as const, 'accept' as const, 'clear' as const), before: document, after: document })
)
const galleryItem: fc.Arbitrary<GalleryItem> = fc.record({
  id: fc.string({ minLength: 1, maxLength: 12 }),
  kind: fc.constantFrom('generate' as const, 'repair' as const),
  image: fc.stringMatching(BLOB_REF_PATTERN),
  width: anyDouble,
  height: anyDouble,
  title: text,
  params: fc.dictionary(key, jsonish, { maxKeys: 5 }),
  steps: anyDouble,
  gradNorm: anyDouble,
  // a time stamp; the history is newest first
  createdAt: fc.nat()
})
const studio = fc.record({
  tool: fc.constantFrom('generate' as const, 'compose' as const, 'repair' as const, 'ood' as const),
  modelId: fc.option(text, { nil: null }),
  providerPreference: fc.constantFrom('auto' as const, 'cuda' as const, 'dml' as const, 'coreml' as const, 'webgpu' as const, 'cpu' as const),
  cpuPrecisionPreference: fc.constantFrom(null, 'fp32' as const, 'int8' as const),
  generate: fc.record({ classIndex: fc.nat(), count: fc.integer({ min: 1, max: 1e6 }), seed: fc.nat(), lockSeed: fc.boolean(), sampler }),
  gallery: fc.uniqueArray(galleryItem, { selector: (item) => item.id, maxLength: 12 }).map((items) => items.sort((a, b) => b.createdAt - a.createdAt)),
  shownShare: fc.double({ min: 0, max: 1, noNaN: true }),
  repair: fc.record({
    settings: fc.record({ strength: within(REPAIR.strength), holdUnmasked: fc.boolean(), classIndex: fc.option(fc.nat(), { nil: null }), seed: fc.integer(), lockSeed: fc.boolean(), sampler }),
    history: fc.record({ document, undo: fc.array(entry, { maxLength: 5 }), redo: fc.array(entry, { maxLength: 5 }) })
  }),
  composeSettings: fc.record({ modelId: fc.option(text, { nil: null }), rows: fc.array(fc.record({ classIndex: fc.nat(), weight: anyDouble }), { maxLength: 16 }), count: fc.integer({ min: 1, max: 1e6 }), seed: fc.nat(), lockSeed: fc.boolean(), sampler })
})

describe('session codec', () => {
  it('round-trips random studio states exactly through the files: NaN, Infinity, -0, empty, unicode, every tool', async () => {
    await fc.assert(
      fc.asyncProperty(studio, async (random) => {
        const store = createStudioStore()
        const canvasImages = random.gallery.slice(0, Math.round(random.gallery.length * random.shownShare))
        const { composeSettings, shownShare: _share, ...studioParts } = random
        store.setState((s) => ({ ...studioParts, canvasImages, repair: { ...s.repair, ...random.repair } }))
        const compose = composeSlice(store)
        compose.setState({ ...composeSettings, rows: composeSettings.rows.map((row, key) => ({ ...row, key })) })

        const result = decoded(await throughFiles(store.getState(), compose.getState()))
        expect(result.problems).toEqual([])
        const { tool, modelId, providerPreference, cpuPrecisionPreference, generate, gallery, repair } = store.getState()
        expect(result.state).toEqual({ tool, modelId, providerPreference, cpuPrecisionPreference, generate, gallery, canvasImages, repair })
        expect(result.compose?.rows?.map(({ classIndex, weight }) => ({ classIndex, weight }))).toEqual(composeSettings.rows)
        expect({ ...result.compose, rows: undefined }).toEqual({ ...composeSettings, rows: undefined })
      }),
      { numRuns: 100 }
    )
  })

  it('round-trips a huge session: 1,000 results and a 100,000-character title', async () => {
    const store = createStudioStore()
    const item = (i: number): GalleryItem => ({ id: `r${i}`, kind: 'generate', image: REF, width: 28, height: 28, title: `Bag ${i} 👜`, params: { seed: i, weight: -0.6 }, steps: i, gradNorm: i % 7 === 0 ? Number.NaN : i / 1000, createdAt: 5000 - i })
    const gallery = Array.from({ length: 1000 }, (_, i) => item(i))
    gallery[3] = { ...gallery[3], title: 'é'.repeat(100_000) }
    store.setState({ gallery, canvasImages: gallery.slice(0, 16) })
    const result = decoded(await throughFiles(store.getState()))
    expect(result.problems).toEqual([])
    expect(result.state.gallery).toEqual(gallery)
    expect(result.state.canvasImages).toHaveLength(16)
  })

  it('an opened PNG (gradNorm NaN) survives the file: the bug that wiped sessions', async () => {
    const store = createStudioStore()
    const opened: GalleryItem = { id: 'opened-1', kind: 'generate', image: REF, width: 28, height: 28, title: 'Dress', params: { seed: 3 }, steps: 0, gradNorm: Number.NaN, createdAt: 5 }
    store.setState({ gallery: [opened], canvasImages: [opened] })
    const result = decoded(await throughFiles(store.getState()))
    expect(result.problems).toEqual([])
    expect(result.state.gallery![0].gradNorm).toBeNaN()
  })

  it('drops "__proto__" keys of saved parameters: a file never sets a prototype', async () => {
    const store = createStudioStore()
    const params = JSON.parse('{"seed": 3, "__proto__": {"polluted": true}}') as Record<string, unknown>
    const item: GalleryItem = { id: 'hostile-1', kind: 'generate', image: REF, width: 28, height: 28, title: 'Bag', params, steps: 1, gradNorm: 0.1, createdAt: 5 }
    store.setState({ gallery: [item], canvasImages: [item] })
    const result = decoded(await throughFiles(store.getState()))
    const loaded = result.state.gallery![0].params as Record<string, unknown>
    expect(loaded.seed).toBe(3)
    expect(Object.prototype.hasOwnProperty.call(loaded, '__proto__')).toBe(false)
    expect((loaded as { polluted?: unknown }).polluted).toBeUndefined()
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  })

  it('round-trips gallery, settings and the repair document with its history', async () => {
    const store = createStudioStore()
    const photo = { name: 'p.png', originalWidth: 40, originalHeight: 30, width: 2, height: 2, channels: 1, bytes: Uint8Array.of(1, 2, 3, 4) }
    let history = replaceDocument(store.getState().repair.history, 'import', { photo, strokes: [] })
    history = addStroke(history, { points: [[1, 1]], size: 2, opacity: 1, softness: 0, erase: false })
    const item = { id: 'a', kind: 'generate' as const, image: REF, width: 2, height: 2, title: 'Bag', params: { seed: 3 }, steps: 12, gradNorm: 0.1, createdAt: 5 }
    store.setState((s) => ({ tool: 'repair', gallery: [item], canvasImages: [item], repair: { ...s.repair, history }, generate: { ...s.generate, seed: 99, lockSeed: true } }))

    const fresh = createStudioStore()
    const result = decodeSession(await throughFiles(store.getState()), fresh.getState())
    expect(result.problems).toEqual([])
    fresh.setState(result.state)
    const restored = fresh.getState()
    expect(restored.tool).toBe('repair')
    expect(restored.gallery).toEqual([item])
    expect(restored.canvasImages.map((i) => i.id)).toEqual(['a'])
    expect(restored.generate.seed).toBe(99)
    expect(Array.from(restored.repair.history.document.photo!.bytes)).toEqual([1, 2, 3, 4])
    expect(restored.repair.history.document.strokes).toHaveLength(1)
    expect(restored.repair.history.undo.map((e) => e.kind)).toEqual(['replace', 'stroke'])
  })

  it('keeps a full-size photo full-size and leaves its imported file out of the session', async () => {
    const store = createStudioStore()
    const photo = { name: 'p.jpg', originalWidth: 3, originalHeight: 1, width: 3, height: 1, channels: 3, bytes: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), fullSize: true as const, file: new Uint8Array(5000).fill(9) }
    const history = replaceDocument(store.getState().repair.history, 'import', { photo, strokes: [] })
    store.setState((s) => ({ repair: { ...s.repair, history } }))
    const encoded = JSON.stringify(encodeSession(store.getState(), undefined, () => REF))
    expect(encoded.length).toBeLessThan(5000) // the file's bytes were not spread into the JSON
    const fresh = createStudioStore()
    const result = decodeSession(await throughFiles(store.getState()), fresh.getState())
    expect(result.problems).toEqual([])
    const restored = result.state.repair!.history.document.photo!
    expect(restored.fullSize).toBe(true)
    expect(restored.file).toBeUndefined()
    expect(Array.from(restored.bytes)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  })
})

describe('sessions written by release 0.1.0 (test/fixtures/sessions, recorded in browser mode)', () => {
  it('a normal session loads whole: results, composition with its negative weight, repair document and history', () => {
    const result = decoded(legacy(fixture('release-0.1.0.json')))
    expect(result.problems).toEqual([])
    expect(result.newer).toBe(false)
    expect(result.state.tool).toBe('repair')
    expect(result.legacyGallery!.map((g) => g.title)).toEqual(['repair', ...Array(4).fill('Sneaker ×0.5 + Sandal ×-0.6'), 'Dress', 'Dress'])
    expect(result.compose!.rows!.map((r) => [r.classIndex, r.weight])).toEqual([[7, 0.5], [5, -0.6]])
    expect(result.state.repair!.history.undo.map((e) => (e.kind === 'replace' ? e.label : e.kind))).toEqual(['import', 'stroke', 'accept', 'stroke'])
    expect(result.state.repair!.history.document.photo!.bytes).toHaveLength(784)
    expect(result.state.repair!.history.document.photo!.name).toBe('shirt é.png')
  })

  it('the session the Open PNG bug wrote (gradNorm null) loads whole, that result unmeasured', () => {
    const result = decoded(legacy(fixture('release-0.1.0-after-open-png.json')))
    expect(result.problems).toEqual([])
    expect(result.legacyGallery).toHaveLength(8)
    expect(result.legacyGallery![0].gradNorm).toBeNaN()
    expect(result.legacyGallery![1].gradNorm).toBeCloseTo(1.3464, 3)
  })
})

describe('the CPU precision choice', () => {
  it('is kept; a session from before it has none (the engine decides); a bad value is named and dropped', async () => {
    const store = createStudioStore()
    store.setState({ cpuPrecisionPreference: 'int8' })
    expect(decoded(await throughFiles(store.getState())).state.cpuPrecisionPreference).toBe('int8')
    expect(decoded(legacy(fixture('release-0.1.0.json'))).state.cpuPrecisionPreference).toBeNull()
    const saved = JSON.parse(JSON.stringify(encodeSession(store.getState())))
    saved.cpuPrecisionPreference = 'int4'
    const bad = decoded(legacy(saved))
    expect(bad.problems).toHaveLength(1)
    expect(bad.problems[0]).toMatch(/^the CPU precision \(/)
    expect(bad.state.cpuPrecisionPreference).toBeUndefined()
    expect(bad.state.modelId).toBe(store.getState().modelId)
  })
})

describe('a session readable only in part', () => {
  it('drops a bad result, names it, and restores every other part', () => {
    const data = fixture('release-0.1.0.json')
    const gallery = data.gallery as Record<string, unknown>[]
    gallery[5] = { ...gallery[5], png: 5 }
    const result = decoded(legacy(data))
    expect(result.problems).toEqual(['result 6 of 7 "Dress" (png: Invalid input: expected string, received number)'])
    expect(result.legacyGallery).toHaveLength(6)
    expect(result.state.tool).toBe('repair')
    expect(result.compose!.rows).toHaveLength(2)
    expect(result.state.repair!.history.undo).toHaveLength(4)
  })

  it('keeps the document when its undo history is damaged, and the results when Repair is', () => {
    const data = fixture('release-0.1.0.json')
    ;(data.repair as Record<string, unknown[]>).undo[1] = { kind: 'stroke' }
    let result = decoded(legacy(data))
    expect(result.problems).toHaveLength(1)
    expect(result.problems[0]).toMatch(/^Repair's undo history/)
    expect(result.state.repair!.history.undo).toEqual([])
    expect(result.state.repair!.history.document.photo).not.toBeNull()

    data.repair = 'gone'
    result = decoded(legacy(data))
    expect(result.state.repair).toBeUndefined()
    expect(result.legacyGallery).toHaveLength(7)
  })

  it('drops a damaged history entry and a photo missing from the store, naming each', async () => {
    const store = createStudioStore()
    const photo = { name: 'p.png', originalWidth: 2, originalHeight: 2, width: 2, height: 2, channels: 1, bytes: Uint8Array.of(9, 8, 7, 6) }
    const item = (id: string, createdAt: number): GalleryItem => ({ id, kind: 'generate', image: REF, width: 2, height: 2, title: id, params: {}, steps: 1, gradNorm: 0.2, createdAt })
    store.setState((s) => ({ gallery: [item('b', 2), item('a', 1)], repair: { ...s.repair, history: replaceDocument(s.repair.history, 'import', { photo, strokes: [] }) } }))
    const saved = await throughFiles(store.getState())
    const history = [{ ...(saved.history[0] as object), image: 'elsewhere.png' }, saved.history[1]]
    const result = decoded({ ...saved, history, photo: () => undefined })
    expect(result.state.gallery!.map((g) => g.id)).toEqual(['b'])
    expect(result.problems).toEqual([
      'result 1 of 2 "a" (image: expected an image-store name)',
      expect.stringMatching(/^Repair's photo and strokes \(its photo [0-9a-f]{12}… is missing from the image store\)$/)
    ])
  })

  it('says so for something that is no session at all, and for a newer release', () => {
    expect(decoded(legacy([1])).problems).toEqual(['the session file holds no session (not an object)'])
    expect(decoded(legacy({ version: 1, tool: 'paint' })).problems[0]).toMatch(/^the open tool/)
    expect(decoded(legacy({ ...fixture('release-0.1.0.json'), version: 99 }))).toMatchObject({ newer: true })
  })
})
