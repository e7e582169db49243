import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { describeZodError, modelManifestSchema, type ModelManifest } from '../src/shared/manifest'
import { OnnxGradientField } from '../src/engine/onnx-field'
import { Int8Cache } from '../src/engine/int8-cache'
import { quantizeInt8 } from '../src/engine/quantize-int8'
import { median, round } from './ort-timing'

/**
 * The manifest of a random latent model (x [B,4,32,32], 1000 classes + null, as
 * training/make_random_sit.py and bench_latent_torch.py write them): the shipped Fashion-MNIST
 * manifest with the latent shape and classes, for the engine's own loaders.
 */
export function randomLatentManifest(modelsRoot: string, file: string): ModelManifest {
  const folder = join(modelsRoot, 'fashion-mnist')
  const parsed = modelManifestSchema.safeParse(JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')))
  if (!parsed.success) throw new Error(`${folder}/manifest.json: ${describeZodError(parsed.error)}`)
  const base = parsed.data
  return { ...base, id: `random-${basename(file, '.onnx')}`, space: 'latent', shape: [4, 32, 32], classes: Array.from({ length: 1000 }, (_, i) => `class ${i}`), nullClass: 1000, files: { gradient: file } } as ModelManifest
}

/**
 * How long the engine's int8 load (OnnxGradientField.load: CPU, host path, session and its one
 * probe row) takes with the int8 disk cache (src/engine/int8-cache.ts) in a fresh temporary folder:
 *   uncachedMs     no cache: quantised at every load (the engine before the cache)
 *   coldMs         first load: files hashed, quantised, written
 *   warmMs         a restarted engine (a new cache on the folder): index stats match, the cached
 *                  file is read and checked (sha256); median of `repeats`
 *   warmRehashMs   the same with the index gone: every source file hashed again, then read
 *   fp32Ms         the fp32 load beside them (the model as exported, nothing to quantise or read)
 * The source file is in the page cache by then (the uncached load read it), and so is the file
 * just written: a first load after a reboot reads them from disk. The quantiser is counted, so
 * a warm load that quantised would be an error here, not a slow number.
 */
export async function int8LoadTimes(file: string, manifest: ModelManifest, repeats = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'eqm-bench-int8-cache-'))
  let quantised = 0
  const cache = () =>
    new Int8Cache(dir, {
      quantise: (...args) => {
        quantised++
        return quantizeInt8(...args)
      }
    })
  const timed = async (withCache: Int8Cache | null, quantises: number, precision: 'int8' | 'fp32' = 'int8') => {
    const before = quantised
    const start = performance.now()
    const field = await OnnxGradientField.load(file, manifest, 'cpu', 1, 'host', undefined, precision, withCache)
    const ms = performance.now() - start
    await field.release()
    if (field.precision !== precision) throw new Error(`${file} did not load ${precision}: ${field.precisionProblem}`)
    if (withCache && quantised - before !== quantises) throw new Error(`${file}: ${quantised - before} quantisations where ${quantises} were expected`)
    return ms
  }
  try {
    const fp32Ms = await timed(null, 0, 'fp32')
    const uncachedMs = await timed(null, 0)
    const coldMs = await timed(cache(), 1)
    const warm: number[] = []
    for (let r = 0; r < repeats; r++) warm.push(await timed(cache(), 0))
    rmSync(join(dir, 'index.json'))
    const warmRehashMs = await timed(cache(), 0)
    const cachedBytes = readdirSync(dir)
      .filter((name) => name.endsWith('.onnx'))
      .reduce((sum, name) => sum + statSync(join(dir, name)).size, 0)
    return { uncachedMs: round(uncachedMs), coldMs: round(coldMs), warmMs: round(median(warm)), warmRehashMs: round(warmRehashMs), fp32Ms: round(fp32Ms), cachedBytes }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
