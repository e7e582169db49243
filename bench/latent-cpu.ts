import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { differenceFrom, matmulModel, median, round } from './ort-timing'
import { TorchServer } from './torch-server'
import { quantizeInt8 } from '../src/engine/quantize-int8'
import { externalDataBeside } from '../src/engine/external-data'
import { int8LoadTimes, randomLatentManifest } from './int8-load'

/**
 * Issue 13 item 3 for latent models: a reference-size EqM (the importer's network, seeded random
 * weights, training/bench_latent_torch.py) in onnxruntime-node against PyTorch eager on the same
 * weights, calls interleaved one by one, per row at each batch size, and the share of the fp32 peak;
 * and the same ONNX quantised to int8 in the engine's way (src/engine/quantize-int8.ts, the CPU
 * precision option): its time per row, its speed against fp32 and eager, and how far its gradient
 * moves from fp32's on the check inputs; and the engine's int8 load with its disk cache
 * (src/engine/int8-cache.ts): uncached, cold and warm (int8-load.ts).
 *   npm run bench:latent [-- --model SiT-B/2 --batches 1,8 --repeats 3 --out FILE]
 *   npm run bench:latent -- --int8-load-only [--model SiT-B/2 --out FILE]: the load times alone,
 *     without PyTorch, on the ONNX file an earlier run left in out/
 * Heavy: a B/2 row is ~46 GFLOP (seconds per call on 2 cores); the ONNX file is kept in out/.
 */
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'SiT-B/2' },
    batches: { type: 'string', default: '1,8' },
    repeats: { type: 'string', default: '3' },
    out: { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'int8-load-only': { type: 'boolean', default: false }
  }
})
const root = join(__dirname, '..', '..')
const repeats = Number(values.repeats)
const batches = values.batches!.split(',').map(Number)
const threads = cpus().length

async function timeOnce(run: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await run()
  return performance.now() - t
}

function machine(loadBefore: number[]) {
  return { cpus: threads, cpu: cpus()[0]?.model, node: process.version, loadAverageBefore: loadBefore.map(round), loadAverageAfter: loadavg().map(round) }
}

function write<R extends { date: string }>(report: R, prefix: string): void {
  const text = JSON.stringify(report, null, 2)
  console.log(text)
  const file = values.out ?? join(root, 'bench', 'results', `${prefix}-${report.date.replace(/[:.]/g, '-')}.json`)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, text + '\n')
}

const INT8_LOAD_HOW =
  'OnnxGradientField.load (CPU, host path, session and one probe row) in int8 with src/engine/int8-cache.ts in a fresh folder: uncached (quantised at every load, as before the cache), cold (hashed, quantised, written), warm (a new cache on the folder, as a restarted engine: stats match, file read and sha256-checked; median of 3), warmRehash (index removed: sources hashed again, then read), fp32 (the same load in fp32, for scale); source and cached files in the page cache'

/** --int8-load-only: the engine's int8 load times on the ONNX file an earlier run left, no PyTorch. */
async function int8LoadOnly(onnxFile: string): Promise<void> {
  if (!existsSync(onnxFile)) throw new Error(`${onnxFile} is not there: run npm run bench:latent -- --model ${values.model} once to export it`)
  const loadBefore = loadavg()
  const load = await int8LoadTimes(onnxFile, randomLatentManifest(join(root, 'models'), onnxFile))
  write(
    {
      date: new Date().toISOString(),
      command: `npm run bench:latent -- --model ${values.model} --int8-load-only`,
      machine: machine(loadBefore),
      model: values.model,
      weights: 'random, seeded (training/bench_latent_torch.py), the ONNX file in out/',
      int8: { load: { how: INT8_LOAD_HOW, ...load } }
    },
    'latent-int8-load'
  )
}

async function main(): Promise<void> {
  const loadBefore = loadavg()
  mkdirSync(join(root, 'out'), { recursive: true })
  const onnxFile = join(root, 'out', `random-${values.model!.replace(/[^A-Za-z0-9]/g, '')}.onnx`)
  if (values['int8-load-only']) return int8LoadOnly(onnxFile)
  const { server: torch, info } = await TorchServer.spawn<{ torch: string; flopsPerRow: number; params: number; checkFile: string }>(values.python!, [join(root, 'training', 'bench_latent_torch.py'), '--model', values.model!, '--onnx-out', onnxFile])
  if (!existsSync(onnxFile)) throw new Error(`${onnxFile} was not written`)
  const session = await ort.InferenceSession.create(onnxFile, { graphOptimizationLevel: 'all' })
  const check = JSON.parse(readFileSync(info.checkFile, 'utf8')) as { x: number[]; y: number[]; grad: number[] }
  const checkFeeds = { x: new ort.Tensor('float32', Float32Array.from(check.x), [2, 4, 32, 32]), y: new ort.Tensor('int64', BigInt64Array.from(check.y.map(BigInt)), [2]) }
  const out = (await session.run(checkFeeds)).grad.data as Float32Array
  const parityMaxAbs = out.reduce((m, v, i) => Math.max(m, Math.abs(v - check.grad[i])), 0)
  const quantiseStart = performance.now()
  // XL/2 is exported with its weights in external files beside the ONNX file: read there, as the engine does
  const quantised = quantizeInt8(readFileSync(onnxFile), onnxFile, externalDataBeside(onnxFile))
  const quantiseMs = performance.now() - quantiseStart
  const int8Session = await ort.InferenceSession.create(quantised.model, { graphOptimizationLevel: 'all' })
  const int8Error = differenceFrom(out, (await int8Session.run(checkFeeds)).grad.data as Float32Array)

  const perRow: Record<string, { ortMs: number; torchMs: number; torchOverOrt: number; ortPercentOfPeak: number; ortInt8Ms: number; fp32OverInt8: number; torchOverInt8: number }> = {}
  const mm = await ort.InferenceSession.create(matmulModel(1024), { graphOptimizationLevel: 'all' })
  const data = Float32Array.from({ length: 1024 * 1024 }, (_, i) => Math.cos(i))
  const mmFeeds = { a: new ort.Tensor('float32', data, [1024, 1024]), b: new ort.Tensor('float32', data, [1024, 1024]) }
  const peakMs: number[] = []
  for (const batch of batches) {
    const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: batch * 4096 }, (_, i) => Math.sin(i)), [batch, 4, 32, 32]), y: new ort.Tensor('int64', new BigInt64Array(batch), [batch]) }
    await session.run(feeds)
    await int8Session.run(feeds)
    // torch with 1 thread and with all: on a loaded machine its thread pool can do far worse than one thread
    const torchThreads = [1, threads]
    for (const n of torchThreads) await torch.time('model', batch, n)
    const o: number[] = []
    const o8: number[] = []
    const t = torchThreads.map(() => [] as number[])
    for (let r = 0; r < repeats; r++) {
      peakMs.push(await timeOnce(() => mm.run(mmFeeds)))
      o.push(await timeOnce(() => session.run(feeds)))
      o8.push(await timeOnce(() => int8Session.run(feeds)))
      for (let k = 0; k < torchThreads.length; k++) t[k].push(await torch.time('model', batch, torchThreads[k]))
    }
    const torchMedian = Math.min(...t.map((xs) => median(xs)))
    perRow[`batch${batch}`] = {
      ortMs: round(median(o) / batch),
      torchMs: round(torchMedian / batch),
      torchOverOrt: round(torchMedian / median(o)),
      ortPercentOfPeak: 0,
      ortInt8Ms: round(median(o8) / batch),
      fp32OverInt8: round(median(o) / median(o8)),
      torchOverInt8: round(torchMedian / median(o8))
    }
  }
  torch.stop()
  const int8Load = await int8LoadTimes(onnxFile, randomLatentManifest(join(root, 'models'), onnxFile))
  const peak = (2 * 1024 ** 3) / Math.min(...peakMs) / 1e6
  for (const row of Object.values(perRow)) row.ortPercentOfPeak = round((info.flopsPerRow / (row.ortMs * 1e6) / peak) * 100)
  const report = {
    date: new Date().toISOString(),
    command: `npm run bench:latent -- --model ${values.model}`,
    machine: machine(loadBefore),
    model: values.model,
    weights: 'random, seeded, same in both runtimes (the importer network, training/bench_latent_torch.py)',
    params: info.params,
    gflopsPerRow: round(info.flopsPerRow / 1e9),
    parityMaxAbs: round(parityMaxAbs),
    statistic: `median of ${repeats} interleaved calls per runtime, ms per row; peak: fastest 1024^3 fp32 ORT matmul seen (${round(peak)} GFLOP/s)`,
    perRow,
    int8: {
      how: 'src/engine/quantize-int8.ts (settings CPU_PRECISION int8): constant-weight MatMul/Gemm -> com.microsoft.DynamicQuantizeMatMul, per-column symmetric int8 weights, activations quantised per call; convs and attention products fp32',
      quantisedMatMuls: quantised.matMuls,
      quantisedGemms: quantised.gemms,
      bytesBefore: quantised.bytesBefore,
      bytesAfter: quantised.bytesAfter,
      quantiseMs: round(quantiseMs),
      gradientErrorOnCheckInputs: { relativeL2: round(int8Error.relativeL2), maxAbs: round(int8Error.maxAbs), maxAbsOfFp32: round(out.reduce((m, v) => Math.max(m, Math.abs(v)), 0)) },
      load: { how: INT8_LOAD_HOW, ...int8Load }
    },
    targets: { torchOverOrtAtBatch8: 1 / 0.7, ortPercentOfPeak: 50 },
    torch: info.torch
  }
  write(report, 'latent')
}

main().catch((error) => {
  console.error(`bench:latent: ${(error as Error).message}`)
  process.exit(1)
})
