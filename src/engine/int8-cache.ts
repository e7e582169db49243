import { createHash } from 'node:crypto'
import { createReadStream, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { open as openFile, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { INT8_CACHE } from '../shared/settings'
import { removeStaleTemporaries, writeFileDurably } from './durable-file'
import { externalDataBeside, externalDataFile } from './external-data'
import { externalDataLocations, QUANTISER_VERSION, quantizeInt8, type Int8Model } from './quantize-int8'

/**
 * int8 models kept on disk (settings CPU_PRECISION int8, quantize-int8.ts), so a model is
 * quantised once and not at every load (B/2: 7 s, XL/2: 41 s). The folder is the user data's
 * int8-cache/ (user-data.ts int8CacheDir), never the model's own folder, which may be read-only
 * or inside the app bundle. An engine started without one quantises at every load, as before.
 *
 *   <key>.onnx   the int8 model, the bytes quantizeInt8 returned
 *   <key>.json   its sidecar: quantiser version, size and sha256 of <key>.onnx, node counts
 *   index.json   per model file: the key and the stats of the files it was hashed from;
 *                per key: when it was last used and how often the cache served it
 *
 * key: sha256 over QUANTISER_VERSION, the sha256 of the model file and of every external data
 * file it names (hashed as streams: XL/2's 2.7 GB are never in memory for it). A model, an
 * external file or the quantiser that changes gives another key, so a stale int8 model is never
 * found; entries no key leads to any more leave with the least recently used (INT8_CACHE).
 *
 * Writes go to a temporary file in the folder, then a rename (durable-file.ts), the model
 * before its sidecar: a crash leaves a temporary file or a model without sidecar, neither of
 * which is read. A cached model is checked as it is read (size and sha256 against the sidecar);
 * one that fails the check, or that onnxruntime will not load, is deleted and quantised again,
 * with a log line. A folder that cannot be written is said once; the models then run from their
 * int8 form in memory. The index is advisory: several processes (the studio, the CLI) may write
 * it, the last one wins, and a lost entry costs one hash, never a wrong model.
 */
export interface Int8CacheOptions {
  /** INT8_CACHE.maxModels by default */
  maxModels?: number
  /** INT8_CACHE.maxGigabytes by default */
  maxBytes?: number
  /** the quantiser: quantizeInt8 (a test counts its calls through this) */
  quantise?: typeof quantizeInt8
  /** where problems are said: stderr by default */
  log?: (line: string) => void
}

export interface Int8CacheResult<T> {
  model: Int8Model
  /** what `open` made of it */
  opened: T
  /** whether it came from the cache (false: quantised now) */
  cached: boolean
}

const fileStatSchema = z.object({ path: z.string(), size: z.number(), mtimeNs: z.string(), ctimeNs: z.string(), ino: z.string() })
type FileStat = z.infer<typeof fileStatSchema>
const indexSchema = z.object({
  version: z.literal(1),
  sources: z.record(z.string(), z.object({ key: z.string(), stats: z.array(fileStatSchema).min(1) })),
  entries: z.record(z.string(), z.object({ lastUsed: z.number(), hits: z.number() }))
})
type Index = z.infer<typeof indexSchema>
const sidecarSchema = z.object({
  quantiser: z.number(),
  key: z.string(),
  bytes: z.number().int().min(0),
  sha256: z.string(),
  matMuls: z.number().int().min(0),
  gemms: z.number().int().min(0),
  bytesBefore: z.number(),
  source: z.string(),
  createdAt: z.string()
})
type Sidecar = z.infer<typeof sidecarSchema>

/** The model file's key, the stats of the files it was hashed from, and its bytes where they were read for it. */
interface Source {
  key: string
  stats: FileStat[]
  bytes: Uint8Array | null
}

const KEY = /^([0-9a-f]{64})\.onnx$/
const SIDECAR = /^([0-9a-f]{64})\.json$/
/** a model without sidecar younger than this may be another process's write between its two renames */
const ORPHAN_GRACE_MS = 10 * 60 * 1000

export class Int8Cache {
  private readonly maxModels: number
  private readonly maxBytes: number
  private readonly quantise: typeof quantizeInt8
  private readonly log: (line: string) => void
  /** set at the first failed write: said once, then the cache only reads */
  private readOnly = false
  private readonly said = new Set<string>()

  constructor(
    readonly dir: string,
    options: Int8CacheOptions = {}
  ) {
    this.maxModels = options.maxModels ?? INT8_CACHE.maxModels.default
    this.maxBytes = options.maxBytes ?? INT8_CACHE.maxGigabytes.default * 1e9
    this.quantise = options.quantise ?? quantizeInt8
    this.log = options.log ?? ((line) => console.warn(`int8 cache: ${line}`))
  }

  /**
   * The int8 form of the model `file`, from the cache or quantised now (and kept), and what
   * `open` makes of it (a session). `open` is the judge of a cached model: one it cannot open
   * is deleted and quantised again; its failure on a model quantised now is the caller's.
   */
  async open<T>(file: string, fileName: string, open: (model: Int8Model) => Promise<T>): Promise<Int8CacheResult<T>> {
    const path = resolve(file)
    let source: Source | null = null
    try {
      source = await this.source(path)
    } catch {
      // an unreadable model or external file, or a refused location: the quantiser says which below
    }
    if (source) {
      const hit = await this.read(source.key, path)
      if (hit) {
        try {
          const opened = await open(hit)
          this.touch(path, source)
          return { model: hit, opened, cached: true }
        } catch (error) {
          this.log(`${path}: its cached int8 model ${source.key.slice(0, 12)} did not load (${reason(error)}): ${this.discard(source.key)}`)
        }
      }
    }
    const model = this.quantise(source?.bytes ?? (await readFile(path)), fileName, externalDataBeside(path))
    const opened = await open(model)
    // a model with nothing quantised runs fp32: nothing to keep
    if (source && model.matMuls + model.gemms > 0) this.store(path, source, model)
    return { model, opened, cached: false }
  }

  /**
   * The key of a model file. Hashing XL/2's 2.7 GB at every load would take seconds, so the
   * index keeps the stats of every file a key was hashed from and the key is reused while all
   * are unchanged. Not by mtime alone: copy tools keep it (cp -p, rsync -t, unzip), and a file
   * rewritten within one tick of the clock keeps it too. The stats are size, mtime, ctime and
   * inode: the kernel sets ctime at every write, rename or utime call and no program can set it
   * back, and a file replaced by another has another inode. Any change means hashing the
   * content again, and content found the same still hits (a touched file costs a hash, not a
   * quantisation). What remains is a file system without change times (FAT) and a rewrite in
   * place, same size, within its 2 s mtime tick.
   */
  private async source(path: string): Promise<Source> {
    const known = this.readIndex().sources[path]
    if (known && known.stats[0].path === path) {
      try {
        if (known.stats.every((s) => sameStat(statOf(s.path), s))) return { key: known.key, stats: known.stats, bytes: null }
      } catch {
        // a file gone: hashed below (or refused)
      }
    }
    // stats before the bytes: a file that changes while it is hashed differs at the next load
    const modelStat = statOf(path)
    const bytes = await readFile(path)
    const locations = externalDataLocations(bytes)
    const externals = locations.map((location) => externalDataFile(path, location))
    const stats = [modelStat, ...externals.map(statOf)]
    const parts = [`eqm int8 quantiser ${QUANTISER_VERSION}`, `model ${createHash('sha256').update(bytes).digest('hex')}`]
    for (let i = 0; i < externals.length; i++) parts.push(`external ${JSON.stringify(locations[i])} ${await sha256OfFile(externals[i])}`)
    return { key: createHash('sha256').update(parts.join('\n')).digest('hex'), stats, bytes }
  }

  /** The cached model of this key, checked against its sidecar; a model that fails the check is deleted (null). */
  private async read(key: string, path: string): Promise<Int8Model | null> {
    let text: string
    try {
      text = readFileSync(this.sidecarFile(key), 'utf8')
    } catch {
      return null // not cached (or the folder cannot be read)
    }
    let sidecar: Sidecar | null = null
    try {
      const parsed = sidecarSchema.safeParse(JSON.parse(text))
      if (parsed.success && parsed.data.key === key && parsed.data.quantiser === QUANTISER_VERSION) sidecar = parsed.data
    } catch {
      // not JSON: as a sidecar that does not match
    }
    const checked = sidecar ? await readChecked(this.modelFile(key), sidecar) : 'has a sidecar that is unreadable or does not match'
    if (typeof checked !== 'string') return { model: checked, matMuls: sidecar!.matMuls, gemms: sidecar!.gemms, bytesBefore: sidecar!.bytesBefore, bytesAfter: checked.byteLength }
    this.log(`${path}: its cached int8 model ${key.slice(0, 12)} ${checked}: ${this.discard(key)}`)
    return null
  }

  private store(path: string, source: Source, model: Int8Model): void {
    if (this.readOnly) return
    const bytes = model.model.byteLength
    if (bytes > this.maxBytes) {
      this.sayOnce(`${path}: its int8 form is ${size(bytes)}, over the cache's ${size(this.maxBytes)}: not kept, quantised at each load`)
      return
    }
    // the files hashed must be the files quantised
    try {
      if (!source.stats.every((s) => sameStat(statOf(s.path), s))) throw new Error('changed')
    } catch {
      this.log(`${path} changed while it was quantised: its int8 form is not kept`)
      return
    }
    const sidecar: Sidecar = {
      quantiser: QUANTISER_VERSION,
      key: source.key,
      bytes,
      sha256: createHash('sha256').update(model.model).digest('hex'),
      matMuls: model.matMuls,
      gemms: model.gemms,
      bytesBefore: model.bytesBefore,
      source: path,
      createdAt: new Date().toISOString()
    }
    try {
      mkdirSync(this.dir, { recursive: true })
      const index = this.readIndex()
      this.evict(index, source.key, bytes)
      writeFileDurably(this.modelFile(source.key), model.model)
      writeFileDurably(this.sidecarFile(source.key), JSON.stringify(sidecar, null, 2) + '\n')
      index.sources[path] = { key: source.key, stats: source.stats }
      index.entries[source.key] = { lastUsed: Date.now(), hits: 0 }
      this.writeIndex(index)
    } catch (error) {
      this.cannotWrite(error)
    }
  }

  /** A hit: the key's last use (least recently used goes first) and the model file's stats. */
  private touch(path: string, source: Source): void {
    if (this.readOnly) return
    try {
      const index = this.readIndex()
      index.sources[path] = { key: source.key, stats: source.stats }
      index.entries[source.key] = { lastUsed: Date.now(), hits: (index.entries[source.key]?.hits ?? 0) + 1 }
      this.writeIndex(index)
    } catch (error) {
      this.cannotWrite(error)
    }
  }

  /**
   * Makes room for one more model of `bytes`: the least recently used go until at most
   * maxModels and maxBytes remain with it. Also removes what killed writers left (temporary
   * files, a model without sidecar) and index entries of models no longer here.
   */
  private evict(index: Index, incoming: string, bytes: number): void {
    const names = readdirSync(this.dir)
    for (const name of names) {
      const temporary = /^(.+)\.\d+\.tmp$/.exec(name)
      if (temporary) removeStaleTemporaries(join(this.dir, temporary[1]))
    }
    const kept: { key: string; bytes: number; lastUsed: number }[] = []
    for (const name of names) {
      // a sidecar whose model is gone: a discard cut short (a model is always renamed into place first)
      const lone = SIDECAR.exec(name)?.[1]
      if (lone && !names.includes(`${lone}.onnx`)) this.discard(lone)
      const key = KEY.exec(name)?.[1]
      if (!key || key === incoming) continue
      let modified: number
      try {
        modified = statSync(join(this.dir, name)).mtimeMs
      } catch {
        continue // gone meanwhile (another process)
      }
      let sidecar: Sidecar | null = null
      try {
        const parsed = sidecarSchema.safeParse(JSON.parse(readFileSync(this.sidecarFile(key), 'utf8')))
        if (parsed.success) sidecar = parsed.data
      } catch {
        // none (yet), or unreadable
      }
      if (!sidecar) {
        if (Date.now() - modified > ORPHAN_GRACE_MS) this.discard(key)
        continue
      }
      kept.push({ key, bytes: sidecar.bytes, lastUsed: index.entries[key]?.lastUsed ?? modified })
    }
    kept.sort((a, b) => a.lastUsed - b.lastUsed)
    let count = kept.length + 1
    let total = kept.reduce((sum, k) => sum + k.bytes, bytes)
    while (kept.length > 0 && (count > this.maxModels || total > this.maxBytes)) {
      const oldest = kept.shift()!
      this.discard(oldest.key)
      count--
      total -= oldest.bytes
    }
    const live = new Set([incoming, ...kept.map((k) => k.key)])
    for (const key of Object.keys(index.entries)) if (!live.has(key)) delete index.entries[key]
    for (const [path, known] of Object.entries(index.sources)) if (!live.has(known.key)) delete index.sources[path]
  }

  /** Removes a key's sidecar, then its model (a model without sidecar is never read); says what it did. */
  private discard(key: string): string {
    try {
      for (const file of [this.sidecarFile(key), this.modelFile(key)]) rmSync(file, { force: true })
      return 'deleted, quantised again'
    } catch (error) {
      // a read-only folder: the check fails again at the next load, and the model is quantised again
      return `quantised again (not deleted: ${reason(error)})`
    }
  }

  private readIndex(): Index {
    try {
      const parsed = indexSchema.safeParse(JSON.parse(readFileSync(this.indexFile(), 'utf8')))
      if (parsed.success) return parsed.data
    } catch {
      // none yet, or torn by hand: started afresh (the models are found again by their keys)
    }
    return { version: 1, sources: {}, entries: {} }
  }

  private writeIndex(index: Index): void {
    writeFileDurably(this.indexFile(), JSON.stringify(index, null, 1) + '\n')
  }

  private cannotWrite(error: unknown): void {
    this.readOnly = true
    this.sayOnce(`cannot write in ${this.dir} (${reason(error)}): int8 models run from memory, quantised at each load, until the engine restarts`)
  }

  private sayOnce(line: string): void {
    if (this.said.has(line)) return
    this.said.add(line)
    this.log(line)
  }

  private indexFile(): string {
    return join(this.dir, 'index.json')
  }

  private modelFile(key: string): string {
    return join(this.dir, `${key}.onnx`)
  }

  private sidecarFile(key: string): string {
    return join(this.dir, `${key}.json`)
  }
}

function statOf(path: string): FileStat {
  const s = statSync(path, { bigint: true })
  return { path, size: Number(s.size), mtimeNs: String(s.mtimeNs), ctimeNs: String(s.ctimeNs), ino: String(s.ino) }
}

function sameStat(a: FileStat, b: FileStat): boolean {
  return a.path === b.path && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** A cached model's bytes, hashed as they are read, or why they fail the sidecar's check. */
async function readChecked(file: string, sidecar: Sidecar): Promise<Uint8Array | string> {
  let handle
  try {
    handle = await openFile(file, 'r')
  } catch (error) {
    return `is missing (${reason(error)})`
  }
  try {
    const size = (await handle.stat()).size
    if (size !== sidecar.bytes) return `is ${size} bytes where its sidecar says ${sidecar.bytes}`
    const bytes = new Uint8Array(size)
    const hash = createHash('sha256')
    for (let done = 0; done < size; ) {
      const { bytesRead } = await handle.read(bytes, done, Math.min(size - done, 16 << 20), done)
      if (bytesRead <= 0) return 'ended early'
      hash.update(bytes.subarray(done, done + bytesRead))
      done += bytesRead
    }
    return hash.digest('hex') === sidecar.sha256 ? bytes : 'fails its sha256 check'
  } catch (error) {
    return `cannot be read (${reason(error)})`
  } finally {
    await handle.close()
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error)
}

function size(bytes: number): string {
  if (bytes >= 1e9) return `${Math.round(bytes / 1e7) / 100} GB`
  return bytes >= 1e6 ? `${Math.round(bytes / 1e5) / 10} MB` : `${Math.round(bytes / 1e3)} kB`
}
