import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { gradientInputs, matmulModel, median, round } from './ort-timing'
import { TorchServer } from './torch-server'

/**
 * The CPU targets of issue 13 for the embedded model, every ratio from one run: onnxruntime-node
 * session settings (optimisation level, threads, a pre-optimised file) at batch 16, their calls
 * interleaved one by one; the best of them at batches 1-64 against PyTorch eager on the same
 * weights (training/bench_torch.py --serve, 1 and all threads); the share of the CPU's fp32 peak
 * (a 1024^3 MatMul in ORT and in torch, the fastest seen).
 * ORT against PyTorch runs in short phases, not call by call: each runtime's thread pool spins for
 * a while after a call, and a call of the other runtime right after it (another process) runs on
 * * a busy CPU. In a three-round probe here, call-by-call interleaving slowed both: ORT's batch-16
 * call by 25-140% and torch's by 10-20%, against the same calls in phases. So each round runs a phase of ORT calls and
 * a phase of torch calls per thread count (a warm-up call first, not counted), in an order that
 * alternates by round; the ratio is taken per round (the phases adjacent in time, so this VM's
 * drifting speed hits both alike), then its median over the rounds.
 *   npm run bench:cpu [-- --out FILE --repeats N --rounds R --python /usr/bin/python3]
 */
const { values } = parseArgs({
  options: { out: { type: 'string' }, repeats: { type: 'string', default: '15' }, rounds: { type: 'string', default: '10' }, python: { type: 'string', default: '/usr/bin/python3' } }
})
const root = join(__dirname, '..', '..')
const modelFile = join(root, 'models', 'fashion-mnist', 'eqm.onnx')
const shape = [1, 28, 28]
const repeats = Number(values.repeats)
const rounds = Number(values.rounds)
/** calls per phase, after its warm-up call */
const PHASE_CALLS = 5
const batches = [1, 16, 32, 64]
const threads = [1, cpus().length]

async function timeOnce(run: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await run()
  return performance.now() - t
}

const stats = (xs: number[]) => ({ median: round(median(xs)), min: round(Math.min(...xs)) })

async function main(): Promise<void> {
  const loadBefore = loadavg()
  const optimised = join(root, 'out', 'eqm.optimised.onnx')
  // a pre-optimised file as an import step would save it (level 'extended': 'all' adds layout
  // changes for this CPU, which ORT warns make the file machine-specific)
  await (await ort.InferenceSession.create(modelFile, { graphOptimizationLevel: 'extended', optimizedModelFilePath: optimised })).release()
  const configs: { name: string; options: ort.InferenceSession.SessionOptions; file?: string }[] = [
    { name: 'all, default threads', options: { graphOptimizationLevel: 'all' } },
    ...threads.map((n) => ({ name: `all, ${n} intra-op thread${n > 1 ? 's' : ''}`, options: { graphOptimizationLevel: 'all' as const, intraOpNumThreads: n } })),
    { name: 'all, parallel execution, 2 inter-op threads', options: { graphOptimizationLevel: 'all', executionMode: 'parallel', interOpNumThreads: 2 } },
    { name: 'extended', options: { graphOptimizationLevel: 'extended' } },
    { name: 'basic', options: { graphOptimizationLevel: 'basic' } },
    { name: 'disabled', options: { graphOptimizationLevel: 'disabled' } },
    { name: 'pre-optimised file (extended), loaded with all', options: { graphOptimizationLevel: 'all' }, file: optimised }
  ]
  const sessions = await Promise.all(configs.map((c) => ort.InferenceSession.create(c.file ?? modelFile, c.options)))
  const feeds16 = gradientInputs(16, shape)
  for (const s of sessions) await s.run(feeds16)
  const sweep = configs.map(() => [] as number[])
  for (let r = 0; r < repeats; r++) for (let c = 0; c < configs.length; c++) sweep[c].push(await timeOnce(() => sessions[c].run(feeds16)))
  const bestIndex = sweep.map((xs) => median(xs)).reduce((best, m, i, all) => (m < all[best] ? i : best), 0)
  const best = sessions[bestIndex]

  const { server: torch, info } = await TorchServer.start(values.python!, join(root, 'training', 'bench_torch.py'), modelFile, join(root, 'training', 'parity', 'eqm.json'))
  const ortMs: Record<string, ReturnType<typeof stats>> = {}
  const torchMs: Record<string, ReturnType<typeof stats> & { threads: number }> = {}
  const ratios: Record<string, number> = {}
  for (const batch of batches) {
    const feeds = gradientInputs(batch, shape)
    const phase = async (call: () => Promise<number>): Promise<number[]> => {
      await call()
      const times: number[] = []
      for (let i = 0; i < PHASE_CALLS; i++) times.push(await call())
      return times
    }
    // phase 0 is ORT, phase 1 + k torch on threads[k]; a round runs them in this order or the reverse
    const phases = [() => phase(() => timeOnce(() => best.run(feeds))), ...threads.map((n) => () => phase(() => torch.time('model', batch, n)))]
    const o: number[] = []
    const t = threads.map(() => [] as number[])
    const perRound: number[] = []
    for (let r = 0; r < rounds; r++) {
      const times: number[][] = new Array(phases.length)
      const order = phases.map((_, i) => i)
      for (const i of r % 2 === 0 ? order : order.reverse()) times[i] = await phases[i]()
      const [ort, ...torchTimes] = times
      o.push(...ort)
      torchTimes.forEach((xs, k) => t[k].push(...xs))
      // torch at its faster thread count this round against ORT this round
      perRound.push(Math.min(...torchTimes.map((xs) => median(xs))) / median(ort))
    }
    ortMs[`batch${batch}`] = stats(o)
    const k = t.map((xs) => median(xs)).reduce((b, m, i, all) => (m < all[b] ? i : b), 0)
    torchMs[`batch${batch}`] = { ...stats(t[k]), threads: threads[k] }
    ratios[`batch${batch}`] = round(median(perRound))
  }
  const n = 1024
  const mm = await ort.InferenceSession.create(matmulModel(n), { graphOptimizationLevel: 'all' })
  const data = Float32Array.from({ length: n * n }, (_, i) => Math.cos(i))
  const mmFeeds = { a: new ort.Tensor('float32', data, [n, n]), b: new ort.Tensor('float32', data, [n, n]) }
  const peakMs = { ort: [] as number[], torch: [] as number[] }
  for (let r = 0; r < repeats; r++) {
    peakMs.ort.push(await timeOnce(() => mm.run(mmFeeds)))
    peakMs.torch.push(await torch.time('matmul', n, threads[threads.length - 1]))
  }
  torch.stop()
  const gflops = (ms: number) => (2 * n ** 3) / ms / 1e6
  const peak = { ortMatmul: round(gflops(Math.min(...peakMs.ort))), torchMatmul: round(gflops(Math.min(...peakMs.torch))) }
  const used = Math.max(peak.ortMatmul, peak.torchMatmul)
  const percent = (batch: number) => round(((info.flopsPerRow * batch) / (ortMs[`batch${batch}`].median * 1e6) / used) * 100)
  const report = {
    date: new Date().toISOString(),
    command: 'npm run bench:cpu',
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverageBefore: loadBefore.map(round), loadAverageAfter: loadavg().map(round) },
    model: 'fashion-mnist',
    statistic: `session settings: median of ${repeats} calls interleaved one by one; ORT against torch: ${rounds} rounds of a ${PHASE_CALLS}-call phase per runtime and thread count, order alternating by round, medians of all phase calls (min beside it), ratios the median over rounds of each round's ratio; peak: fastest 1024^3 fp32 matmul seen`,
    flopsPerRow: info.flopsPerRow,
    batch16MsByConfig: Object.fromEntries(configs.map((c, i) => [c.name, stats(sweep[i])])),
    bestConfig: configs[bestIndex].name,
    ortMsPerCall: ortMs,
    torchEagerMsPerCall: torchMs,
    torch: { version: info.torch, parityMaxAbs: info.parityMaxAbs },
    torchOverOrtAtBatch16: ratios.batch16,
    torchOverOrtByBatch: ratios,
    peakGflops: { ...peak, used },
    percentOfPeak: Object.fromEntries(batches.map((b) => [`batch${b}`, percent(b)])),
    targets: { torchOverOrtAtBatch16: 2, percentOfPeakAtBatch32to64: 50 },
    int8: 'not measured on this model: the int8 option (src/engine/quantize-int8.ts) quantises MatMul and Gemm weights, and this U-Net\'s products are convolutions; npm run bench:latent measures it on B/2'
  }
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
