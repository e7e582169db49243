import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'

/**
 * Soak: many small generate jobs through the browser-mode server, as a tab would send them
 * (one WebSocket, frames acked), with the resident memory of the server and of the engine
 * sampled as it goes. Memory must stay flat: a leak per job shows as a slope. Prints JSON and
 * saves it under bench/results/. Not part of `npm run bench` (it takes minutes).
 *   npm run bench:soak [-- --jobs 1000 --steps 5 --count 4 --models DIR --model ID]
 */
const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000' },
    steps: { type: 'string', default: '5' },
    count: { type: 'string', default: '4' },
    every: { type: 'string', default: '20' },
    models: { type: 'string' },
    model: { type: 'string' },
    out: { type: 'string' }
  }
})
const root = join(__dirname, '..', '..')
const jobs = Number(values.jobs)
const steps = Number(values.steps)
const count = Number(values.count)
const sampleEvery = Number(values.every)

interface Sample {
  job: number
  seconds: number
  serverRssMb: number
  engineRssMb: number
}

/** Resident set size of a process in MB: /proc on Linux, ps elsewhere. */
function rssMb(pid: number): number {
  const status = `/proc/${pid}/status`
  if (existsSync(status)) {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(status, 'utf8'))?.[1])
    return round(kb / 1024)
  }
  return round(Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024)
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

async function main(): Promise<void> {
  const modelsRoot = values.models ?? join(root, 'models')
  const userData = mkdtempSync(join(tmpdir(), 'eqm-soak-'))
  const server = spawn(process.execPath, [join(root, 'out/main/web-server.js'), '--port', '0', '--user-data', userData, '--models', modelsRoot], { stdio: ['ignore', 'pipe', 'inherit'] })
  let printed = ''
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString()
      const match = /at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(printed)
      if (match) resolve(match[1])
    })
    server.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${printed}`)))
  })
  const address = new URL(url)
  const ws = new WebSocket(`ws://${address.host}/ws?token=${address.searchParams.get('token')}`, { headers: { Origin: address.origin } })
  const replies = new Map<number, (m: { ok: boolean; error?: { message: string }; result?: unknown }) => void>()
  let enginePid = 0
  let engineStates: string[] = []
  let ready: () => void = () => undefined
  const isReady = new Promise<void>((r) => (ready = r))
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString())
    if (m.kind === 'host-status') {
      engineStates.push(m.status.state)
      if (m.status.state === 'ready') {
        enginePid = m.status.pid
        ready()
      }
    } else if (m.kind === 'event' && m.event === 'frame') ws.send(JSON.stringify({ kind: 'ack', jobId: m.data.jobId, seq: m.data.seq }))
    else if (m.kind === 'response') replies.get(m.id)?.(m)
  })
  await isReady
  engineStates = []
  let nextId = 1
  const call = (method: string, params: unknown) =>
    new Promise<{ ok: boolean; error?: { message: string }; result?: unknown }>((resolve) => {
      const id = nextId++
      replies.set(id, (m) => {
        replies.delete(id)
        resolve(m)
      })
      ws.send(JSON.stringify({ kind: 'request', id, method, params }))
    })

  const models = (await call('models.list', {})).result as { models: { id: string; classes: string[] }[] }
  const model = models.models.find((m) => m.id === values.model) ?? models.models[0]
  if (!model) throw new Error(`no model in ${modelsRoot}`)
  const samples: Sample[] = []
  const started = performance.now()
  const sample = (job: number) => samples.push({ job, seconds: round((performance.now() - started) / 1000, 2), serverRssMb: rssMb(server.pid!), engineRssMb: rssMb(enginePid) })
  sample(0)
  let failures = 0
  for (let job = 1; job <= jobs; job++) {
    const reply = await call('generate', {
      jobId: `soak-${job}`,
      modelId: model.id,
      seed: job,
      count,
      conditions: [{ classIndex: job % model.classes.length, weight: 1 }],
      sampler: { maxSteps: steps, stopGradNorm: 0 }
    })
    if (!reply.ok) {
      failures++
      console.error(`job ${job}: ${reply.error?.message}`)
    }
    if (job % sampleEvery === 0) sample(job)
  }
  const seconds = (performance.now() - started) / 1000
  ws.close()
  server.kill('SIGTERM')
  await new Promise((r) => server.once('exit', r))
  rmSync(userData, { recursive: true, force: true })

  // the first samples include model loading and JIT warm-up: the trend is judged on the second half
  const half = samples.filter((s) => s.job >= jobs / 2)
  const perThousand = (key: 'serverRssMb' | 'engineRssMb') => round(slope(half.map((s) => s.job), half.map((s) => s[key])) * 1000, 2)
  const summary = {
    jobs,
    failures,
    engineRestarts: engineStates.filter((s) => s === 'crashed' || s === 'failed').length,
    seconds: round(seconds, 1),
    jobsPerSecond: round(jobs / seconds, 1),
    server: { startMb: samples[0].serverRssMb, endMb: samples[samples.length - 1].serverRssMb, maxMb: Math.max(...samples.map((s) => s.serverRssMb)), secondHalfSlopeMbPer1000Jobs: perThousand('serverRssMb') },
    engine: { startMb: samples[0].engineRssMb, endMb: samples[samples.length - 1].engineRssMb, maxMb: Math.max(...samples.map((s) => s.engineRssMb)), secondHalfSlopeMbPer1000Jobs: perThousand('engineRssMb') }
  }
  const report = { kind: 'soak', date: new Date().toISOString(), model: model.id, stepsPerJob: steps, imagesPerJob: count, node: process.version, summary, samples }
  const text = JSON.stringify(report, null, 2)
  const out = values.out ?? join(root, 'bench', 'results', `soak-${report.date.replace(/[:.]/g, '-')}.json`)
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(out, text + '\n')
  console.log(JSON.stringify({ ...report, samples: `${samples.length} samples in ${out}` }, null, 2))
  if (failures > 0 || summary.engineRestarts > 0) process.exitCode = 1
}

main().catch((error) => {
  console.error(`soak: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
