import * as ort from 'onnxruntime-node'
import { cpus } from 'node:os'
async function main() {
  const file = 'models/fashion-mnist/eqm.onnx'
  const configs: [string, ort.InferenceSession.SessionOptions][] = [
    ['default', { graphOptimizationLevel: 'all' }],
    ['intra=cpus', { graphOptimizationLevel: 'all', intraOpNumThreads: cpus().length }],
    ['intra=1', { graphOptimizationLevel: 'all', intraOpNumThreads: 1 }],
  ]
  const sessions = await Promise.all(configs.map(([, o]) => ort.InferenceSession.create(file, { ...o, executionProviders: ['cpu'] })))
  const s0 = sessions[0]
  const batch = Number(process.argv[2] ?? 32)
  const feeds: Record<string, ort.Tensor> = {}
  for (const name of s0.inputNames) {
    feeds[name] = name.includes('label') || name === 'y' ? new ort.Tensor('int64', new BigInt64Array(batch), [batch]) : new ort.Tensor('float32', new Float32Array(batch * 784).map(() => Math.random()), [batch, 1, 28, 28])
  }
  const times = configs.map(() => [] as number[])
  for (let r = 0; r < 40; r++) for (let c = 0; c < sessions.length; c++) { const t = performance.now(); await sessions[c].run(feeds); times[c].push(performance.now() - t) }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]
  console.log(batch, configs.map(([n], i) => `${n} ${med(times[i]).toFixed(1)} (min ${Math.min(...times[i]).toFixed(1)})`).join(' | '))
}
main()
