import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { onnx } from 'onnx-proto'
import { SHIPPED_MODELS } from '../../test/support/paths'
import { writeExternalDataCopy } from '../../test/support/external-data-copy'
import { Engine } from './engine'
import { Int8Cache, type Int8CacheOptions } from './int8-cache'
import { OnnxGradientField } from './onnx-field'
import { quantizeInt8 } from './quantize-int8'
import { readModel } from './model-registry'
import { SeededRandom } from './rng'

/**
 * The int8 disk cache (int8-cache.ts) through the engine's own load (OnnxGradientField.load) and
 * the real quantiser, on the shipped Fashion-MNIST model (its 8 Gemms are quantised) and copies
 * of it. The quantiser is counted, not replaced: a load it does not run in came from the cache.
 */
const shipped = readModel(join(SHIPPED_MODELS, 'fashion-mnist'))
const manifest = shipped.manifest
const EMBEDDED = shipped.file(manifest.files.gradient!)
const root = mkdtempSync(join(tmpdir(), 'eqm-int8-cache-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let folders = 0
const folder = (name: string) => {
  const dir = join(root, `${folders++}-${name}`)
  mkdirSync(dir, { recursive: true })
  return dir
}

/** A cache whose quantiser calls and log lines are counted. */
function countedCache(dir: string, options: Int8CacheOptions = {}) {
  const counts = { quantised: 0 }
  const logs: string[] = []
  const cache = new Int8Cache(dir, {
    ...options,
    quantise: (...args) => {
      counts.quantised++
      return quantizeInt8(...args)
    },
    log: (line) => logs.push(line)
  })
  return { cache, counts, logs }
}

const load = (file: string, cache: Int8Cache | null, path: 'host' | 'graph' = 'host') => OnnxGradientField.load(file, manifest, 'cpu', 4, path, 5, 'int8', cache)

const x = new SeededRandom(7).fillNormal(new Float32Array(3 * 28 * 28))
const labels = Int32Array.of(0, 5, manifest.nullClass)
async function gradient(field: OnnxGradientField): Promise<Float32Array> {
  try {
    return Float32Array.from(await field.evaluate(x, labels, 3))
  } finally {
    await field.release()
  }
}

const index = (dir: string) => JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { sources: Record<string, { key: string }>; entries: Record<string, { hits: number; lastUsed: number }> }
const keys = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.onnx')).map((n) => n.slice(0, -'.onnx'.length)).sort()

/** The shipped model under another producer name: other bytes (another key), the same weights. */
function modelCopy(dir: string, producer: string): string {
  const model = onnx.ModelProto.decode(readFileSync(EMBEDDED))
  model.producerName = producer
  const file = join(dir, 'eqm.onnx')
  writeFileSync(file, onnx.ModelProto.encode(model).finish())
  return file
}

describe('the int8 model cache', () => {
  it('a second load, in a new cache on the same folder, reads the cache: no quantisation, the index counts the hit, the gradient is bit for bit a fresh quantisation', async () => {
    const dir = folder('hit')
    const first = countedCache(dir)
    const cold = await load(EMBEDDED, first.cache)
    expect(cold.precision).toBe('int8')
    expect(first.counts.quantised).toBe(1)
    const [key] = keys(dir)
    expect(index(dir).entries[key].hits).toBe(0)
    // the cached bytes are the quantiser's, and the sidecar says so
    const fresh = quantizeInt8(readFileSync(EMBEDDED), manifest.files.gradient!)
    const stored = readFileSync(join(dir, `${key}.onnx`))
    expect(Buffer.from(fresh.model).equals(stored)).toBe(true)
    expect(JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8'))).toMatchObject({ bytes: stored.byteLength, sha256: createHash('sha256').update(stored).digest('hex'), gemms: 8, matMuls: 0 })

    // a restarted engine: another cache object on the same folder
    const second = countedCache(dir)
    const warm = await load(EMBEDDED, second.cache)
    expect(warm.precision).toBe('int8')
    expect(second.counts.quantised).toBe(0)
    expect(index(dir).entries[key].hits).toBe(1)
    expect(second.logs).toEqual([])
    // the step graph is built from the cached bytes too
    const graph = await load(EMBEDDED, second.cache, 'graph')
    expect(graph.stepper).not.toBeNull()
    await graph.release()
    expect(second.counts.quantised).toBe(0)
    expect(index(dir).entries[key].hits).toBe(2)

    const uncached = await gradient(await load(EMBEDDED, null))
    const fromCold = await gradient(cold)
    const fromWarm = await gradient(warm)
    expect(Buffer.from(fromWarm.buffer).equals(Buffer.from(uncached.buffer))).toBe(true)
    expect(Buffer.from(fromCold.buffer).equals(Buffer.from(uncached.buffer))).toBe(true)
  })

  it('a changed model misses: its own bytes, or an external data file rewritten with its size and mtime kept; a touched file is hashed again and still hits', async () => {
    const model = folder('model')
    const dir = folder('cache')
    const { file, data, firstWeight } = writeExternalDataCopy(EMBEDDED, model)
    // a whole-second mtime, so that setting it back below restores it to the nanosecond
    const then = new Date('2026-01-02T03:04:05Z')
    utimesSync(data, then, then)
    const { cache, counts, logs } = countedCache(dir)
    const before = await gradient(await load(file, cache))
    await (await load(file, cache)).release()
    expect(counts.quantised).toBe(1)
    const [firstKey] = keys(dir)

    // one weight of the external file changed in place: same size, mtime set back as cp -p would
    const stats = statSync(data, { bigint: true })
    const bytes = readFileSync(data)
    for (let i = 0; i < Math.min(firstWeight, 4096); i += 4) bytes.writeFloatLE(bytes.readFloatLE(i) * 3 + 0.25, i)
    writeFileSync(data, bytes)
    utimesSync(data, then, then)
    const now = statSync(data, { bigint: true })
    expect([now.size, now.mtimeNs, now.ino]).toEqual([stats.size, stats.mtimeNs, stats.ino])
    const after = await gradient(await load(file, cache))
    expect(counts.quantised).toBe(2)
    expect(Buffer.from(after.buffer).equals(Buffer.from(before.buffer))).toBe(false)
    const secondKey = keys(dir).find((k) => k !== firstKey)!
    expect(index(dir).sources[file].key).toBe(secondKey)

    // the model file's own bytes changed
    const decoded = onnx.ModelProto.decode(readFileSync(file))
    decoded.producerName = 'changed'
    writeFileSync(file, onnx.ModelProto.encode(decoded).finish())
    await (await load(file, cache)).release()
    expect(counts.quantised).toBe(3)
    expect(keys(dir)).toHaveLength(3)

    // touched, content unchanged: the stats differ, the hash does not
    const thirdKey = index(dir).sources[file].key
    utimesSync(file, new Date(), new Date(Date.now() + 5000))
    await (await load(file, cache)).release()
    expect(counts.quantised).toBe(3)
    expect(index(dir).entries[thirdKey].hits).toBe(1)
    expect(logs).toEqual([])
  })

  it('a cached model that fails its check or does not load is deleted and quantised again, with a log line; crash leftovers are never read', async () => {
    const dir = folder('corrupt')
    const { cache, counts, logs } = countedCache(dir)
    const reference = await gradient(await load(EMBEDDED, null))
    await (await load(EMBEDDED, cache)).release()
    const [key] = keys(dir)
    const modelFile = join(dir, `${key}.onnx`)
    const sidecarFile = join(dir, `${key}.json`)
    const good = readFileSync(modelFile)
    const expectRebuilt = async (quantised: number, message: RegExp) => {
      const field = await load(EMBEDDED, cache)
      expect(field.precision).toBe('int8')
      expect(counts.quantised).toBe(quantised)
      expect(logs.at(-1)).toMatch(message)
      expect(Buffer.from((await gradient(field)).buffer).equals(Buffer.from(reference.buffer))).toBe(true)
      expect(readFileSync(modelFile).equals(good)).toBe(true)
    }

    // same size, other bytes (a weight flipped by a bad disk)
    const flipped = Buffer.from(good)
    flipped[flipped.length - 100] ^= 0xff
    writeFileSync(modelFile, flipped)
    await expectRebuilt(2, /eqm\.onnx: its cached int8 model [0-9a-f]{12} fails its sha256 check: deleted, quantised again$/)
    // cut short
    writeFileSync(modelFile, good.subarray(0, good.length >> 1))
    await expectRebuilt(3, new RegExp(`is ${good.length >> 1} bytes where its sidecar says ${good.length}: deleted, quantised again$`))
    // passes the check (the sidecar was rewritten to match) but is no model: onnxruntime refuses it
    const garbage = Buffer.alloc(4096, 7)
    writeFileSync(modelFile, garbage)
    const sidecar = JSON.parse(readFileSync(sidecarFile, 'utf8'))
    writeFileSync(sidecarFile, JSON.stringify({ ...sidecar, bytes: garbage.length, sha256: createHash('sha256').update(garbage).digest('hex') }))
    await expectRebuilt(4, /did not load \(.*\): deleted, quantised again$/)
    // a sidecar that is not JSON
    writeFileSync(sidecarFile, '{"quantiser": 1, "key"')
    await expectRebuilt(5, /has a sidecar that is unreadable or does not match: deleted, quantised again$/)
    expect(logs).toHaveLength(4)

    // a crash between the two renames (a model without sidecar) or during a write (a temporary
    // file of a writer no longer running): neither is read, the load quantises and keeps a good one
    rmSync(sidecarFile)
    writeFileSync(modelFile, good.subarray(0, 1000))
    writeFileSync(join(dir, `${key}.onnx.999999999.tmp`), good.subarray(0, 1000))
    const field = await load(EMBEDDED, cache)
    expect(counts.quantised).toBe(6)
    expect(Buffer.from((await gradient(field)).buffer).equals(Buffer.from(reference.buffer))).toBe(true)
    expect(readFileSync(modelFile).equals(good)).toBe(true)
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([])
    expect(logs).toHaveLength(4)
  })

  it('a cache folder that cannot be written: every load still runs int8, from memory, and says so once', async () => {
    // a file where the folder should be: no folder can be made there (a read-only disk, for root too)
    const blocked = join(folder('blocked'), 'int8-cache')
    writeFileSync(blocked, 'not a folder')
    const { cache, counts, logs } = countedCache(blocked)
    const reference = await gradient(await load(EMBEDDED, null))
    for (let i = 0; i < 2; i++) {
      const field = await load(EMBEDDED, cache)
      expect(field.precision).toBe('int8')
      expect(Buffer.from((await gradient(field)).buffer).equals(Buffer.from(reference.buffer))).toBe(true)
    }
    expect(counts.quantised).toBe(2)
    expect(logs).toHaveLength(1)
    expect(logs[0]).toMatch(/^cannot write in .*int8-cache \(.*\): int8 models run from memory, quantised at each load/)
  })

  it('keeps at most maxModels, dropping the least recently used; a model over maxBytes is not kept', async () => {
    const dir = folder('bounded')
    const { cache, counts, logs } = countedCache(dir, { maxModels: 2 })
    const [a, b, c] = ['a', 'b', 'c'].map((name) => modelCopy(folder(name), name))
    const use = async (file: string) => (await load(file, cache)).release()
    await use(a)
    await use(b)
    await use(a) // a is now more recent than b
    expect(counts.quantised).toBe(2)
    const keyOf = (file: string) => index(dir).sources[file]?.key
    const [keyA, keyB] = [keyOf(a), keyOf(b)]
    await use(c)
    expect(counts.quantised).toBe(3)
    expect(keys(dir)).toEqual([keyA, keyOf(c)].sort())
    expect(keyOf(b)).toBeUndefined()
    expect(Object.keys(index(dir).entries).sort()).toEqual(keys(dir))
    expect(readdirSync(dir).filter((n) => n.startsWith(keyB))).toEqual([])
    await use(a)
    expect(counts.quantised).toBe(3)
    await use(b)
    expect(counts.quantised).toBe(4)
    expect(logs).toEqual([])

    const small = countedCache(folder('small'), { maxBytes: 1000 })
    for (let i = 0; i < 2; i++) expect((await small.cache.open(a, 'eqm.onnx', async () => 'opened')).opened).toBe('opened')
    expect(small.counts.quantised).toBe(2)
    expect(readdirSync(small.cache.dir).filter((n) => n.endsWith('.onnx'))).toEqual([])
    expect(small.logs).toHaveLength(1)
    expect(small.logs[0]).toMatch(/eqm\.onnx: its int8 form is [\d.]+ MB, over the cache's 1 kB: not kept/)
  })

  it('the engine keeps its int8 models in EngineOptions.int8CacheDir: a reload after switching precision reads them', async () => {
    const dir = join(folder('engine'), 'int8-cache')
    const engine = new Engine({ modelRoots: [SHIPPED_MODELS], provider: 'cpu', frameIntervalMs: 0, shippedModels: null, cpuPrecision: 'int8', int8CacheDir: dir })
    try {
      expect((await engine.field(engine.model('fashion-mnist'))).precision).toBe('int8')
      const [key] = keys(dir)
      expect(index(dir).entries[key].hits).toBe(0)
      await engine.call('engine.setCpuPrecision', { precision: 'fp32' })
      await engine.call('engine.setCpuPrecision', { precision: 'int8' })
      expect((await engine.field(engine.model('fashion-mnist'))).precision).toBe('int8')
      expect(keys(dir)).toEqual([key])
      expect(index(dir).entries[key].hits).toBe(1)
    } finally {
      await engine.dispose()
    }
  })
})
