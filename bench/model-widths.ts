/**
 * What a bigger gradient network costs per call, against a reference, on this machine's CPU:
 *   /usr/bin/python3 training/width_models.py --out DIR 32,64,128 32,64,256 ...   (random weights)
 *   node --import tsx bench/model-widths.ts DIR/32-64-128.onnx DIR/32-64-256.onnx ... [--out FILE]
 * The first file is the reference. Calls go round by round in a rotating order (this VM's speed
 * drifts by a third over minutes), and each ratio is the median over rounds of that round's ratio,
 * so drift between rounds cancels. Issue 14 allows up to 2x the shipped network per row.
 */
import * as ort from 'onnxruntime-node'
import { writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { cpus, loadavg } from 'node:os'
import { gradientInputs, median, round } from './ort-timing'

const args = process.argv.slice(2)
const outIndex = args.indexOf('--out')
const out = outIndex >= 0 ? args[outIndex + 1] : null
const files = args.filter((_, i) => i !== outIndex && i !== outIndex + 1)
if (files.length < 2) throw new Error('usage: model-widths.ts REFERENCE.onnx OTHER.onnx... [--out FILE]')
const BATCHES = [16, 32, 64]
const ROUNDS = 12

async function main(): Promise<void> {
  // the engine's session settings (onnx-field.ts): CPU provider, every graph optimisation
  const sessions = await Promise.all(files.map((f) => ort.InferenceSession.create(f, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' })))
  const byBatch: Record<string, Record<string, { msPerCall: number; ratio: number }>> = {}
  for (const batch of BATCHES) {
    const feeds = gradientInputs(batch, [1, 28, 28])
    for (const s of sessions) for (let i = 0; i < 3; i++) await s.run(feeds)
    const times: number[][] = files.map(() => [])
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < files.length; k++) {
        const i = (k + r) % files.length
        const t = performance.now()
        await sessions[i].run(feeds)
        await sessions[i].run(feeds)
        times[i].push((performance.now() - t) / 2)
      }
    }
    byBatch[`batch${batch}`] = Object.fromEntries(
      files.map((f, i) => [basename(f, '.onnx'), { msPerCall: round(median(times[i])), ratio: round(median(times[i].map((t, r) => t / times[0][r]))) }])
    )
  }
  const report = {
    date: new Date().toISOString(),
    command: `node --import tsx bench/model-widths.ts ${args.join(' ')}`,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadAverage: loadavg().map((l) => round(l)) },
    statistic: `${ROUNDS} rounds, order rotating by round, 2 calls a measurement; ms: median; ratio: median over rounds of each round's ratio to ${basename(files[0])}`,
    byBatch
  }
  const text = JSON.stringify(report, null, 2)
  if (out) writeFileSync(out, text + '\n')
  console.log(text)
  await Promise.all(sessions.map((s) => s.release()))
}

void main()
