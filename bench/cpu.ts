import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { gradientInputs, matmulGflops, round, timeCalls } from './ort-timing'

/**
 * The CPU targets of issue 13 for the embedded model, every ratio from one run:
 * onnxruntime-node session settings (optimisation level, threads, a pre-optimised file) at
 * batch 16, the best of them at batches 1-64 against PyTorch eager on the same weights
 * (training/bench_torch.py, run twice between ORT rounds so load drifts hit both), and the
 * share of the CPU's fp32 peak (a tight 1024^3 MatMul, ORT's and torch's, the better one).
 *   npm run bench:cpu [-- --out FILE --repeats N --python /usr/bin/python3]
 */
const { values } = parseArgs({
  options: { out: { type: 'string' }, repeats: { type: 'string', default: '10' }, python: { type: 'string', default: '/usr/bin/python3' }, rounds: { type: 'string', default: '2' } }
})
const root = join(__dirname, '..', '..')
const modelFile = join(root, 'models', 'fashion-mnist', 'eqm.onnx')
const shape = [1, 28, 28]
const repeats = Number(values.repeats)
const rounds = Number(values.rounds)
const batches = [1, 16, 32, 64]

type Config = { name: string; options: ort.InferenceSession.SessionOptions; file?: string }

async function timeBatches(config: Config, list: number[]): Promise<Record<string, number>> {
  const session = await ort.InferenceSession.create(config.file ?? modelFile, config.options)
  const out: Record<string, number> = {}
  for (const batch of list) {
    const feeds = gradientInputs(batch, shape)
    out[`batch${batch}`] = await timeCalls(() => session.run(feeds), repeats)
  }
  await session.release()
  return out
}

function torchRun(): { eagerMsPerCall: Record<string, number>; threadsUsed: Record<string, number>; flopsPerRow: number; matmulGflops: number; parityMaxAbs: number; torch: string } {
  const args = [join(root, 'training', 'bench_torch.py'), '--onnx', modelFile, '--fixture', join(root, 'training', 'parity', 'eqm.json'), '--batches', batches.join(','), '--repeats', String(repeats)]
  const run = spawnSync(values.python!, args, { encoding: 'utf8', timeout: 600_000 })
  if (run.status !== 0) throw new Error(`bench_torch.py failed: ${run.stderr || run.error?.message}`)
  return JSON.parse(run.stdout.trim().split('\n').pop()!)
}

async function main(): Promise<void> {
  const loadBefore = loadavg()
  const scratch = mkdtempSync(join(tmpdir(), 'eqm-bench-cpu-'))
  const optimised = join(scratch, 'eqm.optimised.onnx')
  // the pre-optimised file: what a load with level 'all' would produce, saved once, loaded without re-optimising
  await (await ort.InferenceSession.create(modelFile, { graphOptimizationLevel: 'all', optimizedModelFilePath: optimised })).release()
  const configs: Config[] = [
    { name: 'all, default threads', options: { graphOptimizationLevel: 'all' } },
    { name: 'all, 1 intra-op thread', options: { graphOptimizationLevel: 'all', intraOpNumThreads: 1 } },
    { name: `all, ${cpus().length} intra-op threads`, options: { graphOptimizationLevel: 'all', intraOpNumThreads: cpus().length } },
    { name: 'all, parallel execution, 2 inter-op threads', options: { graphOptimizationLevel: 'all', executionMode: 'parallel', interOpNumThreads: 2 } },
    { name: 'extended', options: { graphOptimizationLevel: 'extended' } },
    { name: 'basic', options: { graphOptimizationLevel: 'basic' } },
    { name: 'disabled', options: { graphOptimizationLevel: 'disabled' } },
    { name: 'pre-optimised file', options: { graphOptimizationLevel: 'disabled' }, file: optimised }
  ]
  const sweep: Record<string, number[]> = Object.fromEntries(configs.map((c) => [c.name, []]))
  for (let r = 0; r < rounds; r++) for (const config of configs) sweep[config.name].push((await timeBatches(config, [16])).batch16)
  const batch16ByConfig = Object.fromEntries(configs.map((c) => [c.name, round(Math.min(...sweep[c.name]))]))
  const best = configs.reduce((a, b) => (batch16ByConfig[a.name] <= batch16ByConfig[b.name] ? a : b))

  const ortRounds: Record<string, number>[] = []
  const torchRounds: ReturnType<typeof torchRun>[] = []
  const peaks: number[] = []
  for (let r = 0; r < rounds; r++) {
    ortRounds.push(await timeBatches(best, batches))
    peaks.push(await matmulGflops(1024, { graphOptimizationLevel: 'all' }, repeats))
    torchRounds.push(torchRun())
  }
  const perBatch = (rows: Record<string, number>[]) => Object.fromEntries(batches.map((b) => [`batch${b}`, round(Math.min(...rows.map((x) => x[`batch${b}`])))]))
  const ortMs = perBatch(ortRounds)
  const torchMs = perBatch(torchRounds.map((t) => t.eagerMsPerCall))
  const flopsPerRow = torchRounds[0].flopsPerRow
  const ortPeak = Math.max(...peaks)
  const torchPeak = Math.max(...torchRounds.map((t) => t.matmulGflops))
  const peak = Math.max(ortPeak, torchPeak)
  const gflops = (batch: number) => (flopsPerRow * batch) / (ortMs[`batch${batch}`] * 1e6)
  const report = {
    date: new Date().toISOString(),
    command: 'npm run bench:cpu',
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverageBefore: loadBefore.map(round), loadAverageAfter: loadavg().map(round) },
    model: 'fashion-mnist',
    flopsPerRow,
    batch16MsByConfig: batch16ByConfig,
    bestConfig: best.name,
    ortMsPerCall: ortMs,
    torchEagerMsPerCall: torchMs,
    torch: { version: torchRounds[0].torch, parityMaxAbs: torchRounds[0].parityMaxAbs, threadsUsed: torchRounds[0].threadsUsed },
    statistic: 'fastest call of each series (both runtimes), best of the rounds; the peak is the fastest matmul seen',
    torchOverOrtAtBatch16: round(torchMs.batch16 / ortMs.batch16),
    peakGflops: { ortMatmul: round(ortPeak), torchMatmul: round(torchPeak), used: round(peak) },
    percentOfPeak: Object.fromEntries(batches.map((b) => [`batch${b}`, round((gflops(b) / peak) * 100)])),
    targets: { torchOverOrtAtBatch16: 2, percentOfPeakAtBatch32to64: 50 },
    int8: 'not measured: no sound dynamic quantiser without Python onnxruntime (issue 13 item 3)'
  }
  rmSync(scratch, { recursive: true, force: true })
  const text = JSON.stringify(report, null, 2)
  console.log(text)
  const out = values.out ?? join(root, 'bench', 'results', `cpu-${report.date.replace(/[:.]/g, '-')}.json`)
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(out, text + '\n')
}

main().catch((error) => {
  console.error(`bench:cpu: ${(error as Error).message}`)
  process.exit(1)
})
