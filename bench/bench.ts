import { mkdirSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { Engine, type EngineSink } from '../src/engine/engine'
import type { EngineMessage } from '../src/shared/engine-protocol'
import { SeededRandom } from '../src/engine/rng'

/**
 * Engine benchmarks; numbers only, printed as JSON (and saved under bench/results/).
 * Targets (issue notes, README) are judged by reading these, never by timed tests.
 *   npm run bench [-- --model ID --models DIR --repeats N]
 */
const { values } = parseArgs({
  options: { model: { type: 'string' }, models: { type: 'string' }, repeats: { type: 'string', default: '20' }, out: { type: 'string' } }
})
const root = join(__dirname, '..', '..')
const modelsRoot = values.models ?? join(root, 'models')
const repeats = Number(values.repeats)

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function main(): Promise<void> {
  const engine = new Engine({ modelRoots: [modelsRoot], frameIntervalMs: 33 })
  const entry = engine.model(values.model)
  const field = await engine.field(entry)
  const manifest = entry.manifest
  const size = field.sampleSize
  const rng = new SeededRandom(1)

  const modelCallMs: Record<string, number> = {}
  const perImageStepMs: Record<string, number> = {}
  for (const batch of [1, 16, 64]) {
    const x = rng.fillNormal(new Float32Array(batch * size))
    const labels = new Int32Array(batch).fill(0)
    for (let i = 0; i < 3; i++) await field.evaluate(x, labels, batch) // warm-up
    const times: number[] = []
    for (let i = 0; i < repeats; i++) {
      const t = performance.now()
      await field.evaluate(x, labels, batch)
      times.push(performance.now() - t)
    }
    modelCallMs[`batch${batch}`] = round(median(times))
    perImageStepMs[`batch${batch}`] = round(median(times) / batch)
  }

  // a full job with the manifest's defaults: previews on (as the app runs) and off
  const job = async (previewEvery: number, count: number) => {
    let firstFrameMs: number | null = null
    let frames = 0
    const started = performance.now()
    const client: EngineSink = {
      send: (message: EngineMessage) => {
        if (message.kind === 'event' && message.event === 'frame') {
          frames++
          firstFrameMs ??= performance.now() - started
          // ack on the next turn, as a window that paints promptly would
          setImmediate(() => engine.receive(client, { kind: 'ack', jobId: message.data.jobId, seq: message.data.seq }))
        }
      }
    }
    const result = await engine.call('generate', { modelId: manifest.id, jobId: `bench-${previewEvery}-${Math.random().toString(36).slice(2)}`, seed: 1, count, conditions: [{ classIndex: 0, weight: 1 }], previewEvery }, client)
    const seconds = (performance.now() - started) / 1000
    return { seconds, firstFrameMs, frames, evaluations: result.evaluations, images: count }
  }
  await job(0, 4) // warm-up
  const runs = 3
  const on: Awaited<ReturnType<typeof job>>[] = []
  const off: Awaited<ReturnType<typeof job>>[] = []
  for (let i = 0; i < runs; i++) {
    off.push(await job(0, 16))
    on.push(await job(1, 16))
  }
  const secondsOn = median(on.map((r) => r.seconds))
  const secondsOff = median(off.map((r) => r.seconds))
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    provider: engine.info().active,
    model: manifest.id,
    sampler: manifest.sampler,
    modelCallMs,
    perImageStepMs,
    generate16: {
      imagesPerSecond: round(16 / secondsOff),
      meanEvaluationsPerImage: round(off[0].evaluations / 16),
      timeToFirstFrameMs: round(median(on.map((r) => r.firstFrameMs ?? Number.NaN))),
      framesSent: median(on.map((r) => r.frames))
    },
    previews: {
      secondsOn: round(secondsOn),
      secondsOff: round(secondsOff),
      overheadPercent: round(((secondsOn - secondsOff) / secondsOff) * 100),
      targetPercent: 5
    }
  }
  const text = JSON.stringify(report, null, 2)
  console.log(text)
  const out = values.out ?? join(root, 'bench', 'results', `bench-${report.date.replace(/[:.]/g, '-')}.json`)
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(out, text + '\n')
  await engine.dispose()
}

function round(x: number): number {
  return Number(x.toPrecision(4))
}

if (!existsSync(modelsRoot)) {
  console.error(`bench: no models folder at ${modelsRoot}`)
  process.exit(1)
}
main().catch((error) => {
  console.error(`bench: ${(error as Error).message}`)
  process.exit(1)
})
