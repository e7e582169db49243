// CPU cost of the gradient model in onnxruntime-node: ms per image-step at batch 16,
// with CFG (one call of 32 rows: 16 cond + 16 uncond) and without (16 rows).
// Usage (cwd = repo root): node training/bench_onnx.cjs models/fashion-mnist/eqm.onnx [threads=2] [iters=30]
const path = require('path')
const ort = require(require.resolve('onnxruntime-node', { paths: [process.cwd(), path.join(__dirname, '..')] }))

async function main() {
  const model = process.argv[2] || 'models/fashion-mnist/eqm.onnx'
  const threads = Number(process.argv[3] || 2)
  const iters = Number(process.argv[4] || 30)
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 })
  const result = { model, threads }
  for (const [label, rows] of [['cfg', 32], ['nocfg', 16]]) {
    const x = new ort.Tensor('float32', Float32Array.from({ length: rows * 784 }, () => Math.random() * 2 - 1), [rows, 1, 28, 28])
    const y = new ort.Tensor('int64', BigInt64Array.from({ length: rows }, (_, i) => BigInt(i < 16 ? i % 10 : 10)), [rows])
    for (let i = 0; i < 3; i++) await session.run({ x, y })
    const times = []
    for (let i = 0; i < iters; i++) {
      const t = process.hrtime.bigint()
      await session.run({ x, y })
      times.push(Number(process.hrtime.bigint() - t) / 1e6)
    }
    times.sort((a, b) => a - b)
    const median = times[Math.floor(times.length / 2)]
    result[label] = { rowsPerCall: rows, medianCallMs: +median.toFixed(2), msPerImageStep: +(median / 16).toFixed(3) }
  }
  console.log(JSON.stringify(result))
}
main().catch((e) => { console.error(e); process.exit(1) })
