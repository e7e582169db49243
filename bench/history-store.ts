import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { PNG } from 'pngjs'
import { UserData } from '../src/engine/user-data-store'
import { SeededRandom } from '../src/engine/rng'
import type { HistoryEntryRecord } from '../src/shared/engine-protocol'

/**
 * The studio's history at scale: N results of 256x256 RGB (distinct noise images, ~197 KB
 * each as PNG, the worst case for size) in the user-data folder, through the engine's own
 * UserData (image store, history journal, session file). Prints JSON (and saves it under
 * bench/results/): the cost of storing one image, of an autosave after one more result with
 * N already kept, and of a restore.
 *   npx tsx bench/history-store.ts [--results 10000] [--keep]
 */
const { values } = parseArgs({ options: { results: { type: 'string', default: '10000' }, keep: { type: 'boolean', default: false }, out: { type: 'string' } } })
const count = Number(values.results)
const SIDE = 256

function noisePng(random: SeededRandom): Uint8Array {
  const png = new PNG({ width: SIDE, height: SIDE, colorType: 2, inputHasAlpha: false })
  const data = Buffer.alloc(SIDE * SIDE * 3)
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(random.nextUint32(), Math.min(i, data.length - 4))
  png.data = data
  return PNG.sync.write(png, { colorType: 2, inputHasAlpha: false, deflateLevel: 1 })
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/** A result entry as the studio journals it: its parameters, its image by name. */
function entry(i: number, image: string): HistoryEntryRecord {
  return {
    id: `job-bench-${i}`,
    kind: 'generate',
    image,
    width: SIDE,
    height: SIDE,
    title: 'Sneaker ×0.5 + Sandal ×-0.6',
    params: { kind: 'generate', modelId: 'bench-256', conditions: [{ classIndex: 7, weight: 0.5 }, { classIndex: 5, weight: -0.6 }], sampler: { method: 'nag', stepSize: 0.02, mu: 0.3, maxSteps: 50, stopGradNorm: 0.35, cfg: 3 }, seed: 1000 + i, count: 1, provider: 'cpu' },
    steps: 40,
    gradNorm: 0.31,
    createdAt: 1_764_400_000_000 + i
  }
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'eqm-bench-history-'))
  const userData = new UserData(join(folder, 'session.json'))
  const view = {}
  await userData.load(view)
  const random = new SeededRandom(7)
  const putMs: number[] = []
  const appendMs: number[] = []
  let bytes = 0
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    const png = noisePng(random)
    bytes += png.length
    let t = performance.now()
    const ref = userData.blobs.put(png, 'png')
    putMs.push(performance.now() - t)
    t = performance.now()
    userData.append(view, [{ op: 'add', entry: entry(i, ref) }])
    appendMs.push(performance.now() - t)
  }
  const fillSeconds = (performance.now() - started) / 1000
  // the session file: settings and a repair document whose photo is in the store
  const session = { version: 2, tool: 'generate', canvasImageIds: ['job-bench-0'], repair: { document: { photo: null, strokes: [] }, undo: [], redo: [], settings: {} } }
  const saveMs: number[] = []
  for (let k = 0; k < 20; k++) {
    const png = noisePng(random)
    const t = performance.now()
    const ref = userData.blobs.put(png, 'png')
    userData.append(view, [{ op: 'add', entry: entry(count + k, ref) }])
    userData.save(view, session)
    saveMs.push(performance.now() - t)
  }
  userData.detach(view)
  const restoreMs: number[] = []
  let restored = 0
  for (let k = 0; k < 5; k++) {
    const t = performance.now()
    const loaded = await new UserData(join(folder, 'session.json')).load({})
    restoreMs.push(performance.now() - t)
    restored = loaded.history.entries.length
  }
  const result = {
    bench: 'history-store',
    results: count,
    image: `${SIDE}x${SIDE} RGB noise PNG`,
    meanImageKB: Math.round(bytes / count / 1024),
    storeMB: Math.round((bytes / 1024 / 1024) * 10) / 10,
    journalMB: Math.round((statSync(userData.journal.file).size / 1024 / 1024) * 100) / 100,
    sessionFileBytes: statSync(join(folder, 'session.json')).size,
    storeOneImageMs: { median: median(putMs), note: 'SHA-256, temp file, fsync, rename' },
    appendOneResultMs: { median: median(appendMs), atFirst: median(appendMs.slice(0, 100)), atLast: median(appendMs.slice(-100)) },
    autosaveAfterNewResultMs: { median: median(saveMs), max: Math.max(...saveMs), note: `with ${count} results kept: store the PNG, append its entry, rewrite session.json` },
    restoreMs: { median: median(restoreMs), entries: restored, note: 'session.json, replay of the journal, image-store sweep (engine side)' },
    fillSeconds: Math.round(fillSeconds),
    inlineFormatWouldBeMB: Math.round(((bytes * 4) / 3 / 1024 / 1024) * 10) / 10
  }
  const text = JSON.stringify(result, null, 2)
  console.log(text)
  const out = values.out ?? join(__dirname, 'results', 'history-store.json')
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(out, `${text}\n`)
  if (!values.keep) rmSync(folder, { recursive: true, force: true })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
