import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Engine } from '../src/engine/engine'
import { base64ToBytes } from '../src/shared/base64'
import type { ModelInfo, ProviderName } from '../src/shared/engine-protocol'
import { meanPairwiseRms, pngToUnit } from './variety'

/**
 * Variety of composed samples, with and without a negative weight (training/COMPOSE.md,
 * "Variety with a negative weight"), measured with the engine's own code:
 *   node --import tsx bench/compose-variety.ts --out bench/compose-variety.json   (npm run bench:variety)
 * Each row is the generate job the CLI's `eqm compose` runs (src/cli/index.ts): the model's
 * sampler from its manifest, guidance from the model's composition default
 * (manifest studio.compose.cfg) unless the row sets its own, `count` images from each job seed.
 * Variety of one job = mean over its n(n-1)/2 image pairs of the RMS difference of the result
 * PNGs' 8-bit values / 255 (bench/variety.ts); a row's value is the mean over the job seeds.
 * Image i of a job has seed + i, so jobs from --seeds 3,4,5 share most of their images (3-10,
 * 4-11, 5-12); --disjoint-seeds (default 3,11,19,27,35: images 3-42, each once) are the check
 * that a difference is not one set's luck, with the standard error over the sets.
 */
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench/compose-variety.json' },
    models: { type: 'string', default: 'models' },
    model: { type: 'string' },
    provider: { type: 'string', default: 'auto' },
    seeds: { type: 'string', default: '3,4,5' },
    'disjoint-seeds': { type: 'string', default: '3,11,19,27,35' },
    count: { type: 'string', default: '8' }
  }
})

interface Row {
  label: string
  classes: [name: string, weight: number][]
  /** absent: the model's composition guidance, as `eqm compose` without --cfg */
  cfg?: number
}

/**
 * The compositions of the table in training/COMPOSE.md. A single class runs as `eqm compose`
 * would, at the composition's guidance; Sneaker alone is the reference for Sneaker − Sandal.
 */
const ROWS: Row[] = [
  { label: 'Trouser alone', classes: [['Trouser', 1]] },
  { label: 'Trouser ×0.5 + Dress ×0.5', classes: [['Trouser', 0.5], ['Dress', 0.5]] },
  { label: 'Trouser ×1 − Dress ×0.6', classes: [['Trouser', 1], ['Dress', -0.6]] },
  { label: 'Trouser ×1 − Dress ×0.3', classes: [['Trouser', 1], ['Dress', -0.3]] },
  { label: 'Trouser ×1 − Dress ×0.6', classes: [['Trouser', 1], ['Dress', -0.6]], cfg: 1.5 },
  { label: 'Sneaker alone', classes: [['Sneaker', 1]] },
  { label: 'Sneaker ×0.5 + Sandal ×0.5', classes: [['Sneaker', 0.5], ['Sandal', 0.5]] },
  { label: 'Sneaker ×1 − Sandal ×0.6', classes: [['Sneaker', 1], ['Sandal', -0.6]] }
]

const round = (x: number) => Number(x.toFixed(4))

function seedList(option: string, text: string): number[] {
  const seeds = text.split(',').map(Number)
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--${option}: integers >= 0, comma-separated`)
  return seeds
}

async function main(): Promise<void> {
  const seeds = seedList('seeds', values.seeds!)
  const disjointSeeds = seedList('disjoint-seeds', values['disjoint-seeds']!)
  const count = Number(values.count)
  if (!Number.isInteger(count) || count < 2) throw new Error('--count: an integer >= 2')
  // image i of a job has seed + i: the check's jobs must not share an image
  const sorted = [...disjointSeeds].sort((a, b) => a - b)
  if (sorted.some((seed, i) => i > 0 && seed - sorted[i - 1] < count)) throw new Error(`--disjoint-seeds must be ${count} or more apart (image i of a job has seed + i)`)
  const engine = new Engine({ modelRoots: [resolve(values.models!)], provider: values.provider as ProviderName | 'auto' })
  try {
    const entry = engine.model(values.model)
    const info: ModelInfo = engine.listModels().find((m) => m.id === entry.manifest.id)!
    const channels = info.imageShape[0]
    if (channels !== 1 && channels !== 3) throw new Error(`${info.id}: images of ${channels} channels`)
    const classIndex = (name: string) => {
      const index = info.classes.indexOf(name)
      if (index < 0) throw new Error(`${info.id} has no class "${name}"`)
      return index
    }
    const rows = []
    let provider = ''
    for (const row of ROWS) {
      const conditions = row.classes.map(([name, weight]) => ({ classIndex: classIndex(name), weight }))
      // as `eqm compose`: the composition's guidance, then what the row sets
      const sampler = { cfg: info.studio.compose.cfg, ...(row.cfg !== undefined ? { cfg: row.cfg } : {}) }
      const perSeed: Record<string, number> = {}
      const steps: Record<string, number[]> = {}
      let resolved
      for (const seed of new Set([...seeds, ...disjointSeeds])) {
        const result = await engine.call('generate', { jobId: `variety-${seed}`, modelId: info.id, seed, count, conditions, sampler, previewEvery: 0 })
        resolved = result.params.sampler
        provider = result.params.provider ?? engine.info().active
        perSeed[seed] = meanPairwiseRms(result.images.map((image) => pngToUnit(base64ToBytes(image.png), channels)))
        steps[seed] = result.images.map((image) => image.steps)
      }
      const summary = (list: number[]) => {
        const varieties = list.map((seed) => perSeed[seed])
        const mean = varieties.reduce((a, b) => a + b, 0) / varieties.length
        const sd = varieties.length > 1 ? Math.sqrt(varieties.reduce((a, v) => a + (v - mean) ** 2, 0) / (varieties.length - 1)) : 0
        const all = list.flatMap((seed) => steps[seed])
        return { variety: round(mean), standardError: round(sd / Math.sqrt(varieties.length)), perSeed: Object.fromEntries(list.map((seed) => [seed, round(perSeed[seed])])), meanSteps: round(all.reduce((a, b) => a + b, 0) / all.length) }
      }
      const line = { label: row.label, conditions: row.classes.map(([name, weight]) => ({ class: name, weight })), cfg: sampler.cfg, cfgIsComposeDefault: row.cfg === undefined, ...summary(seeds), disjoint: summary(disjointSeeds), sampler: resolved }
      rows.push(line)
      console.error(`${row.label}, CFG ${sampler.cfg}: ${line.variety} (${seeds.map((s) => `seed ${s}: ${line.perSeed[s]}`).join(', ')}); disjoint sets ${line.disjoint.variety} ± ${line.disjoint.standardError}`)
    }
    const gradientFile = entry.manifest.files.gradient
    const script = relative(process.cwd(), process.argv[1])
    const out = {
      model: info.id,
      // which gradient network the numbers belong to (the table was once measured on another)
      gradient: gradientFile ? { file: gradientFile, sha256: createHash('sha256').update(readFileSync(entry.file(gradientFile))).digest('hex'), weights: entry.manifest.provenance.weights } : null,
      provider,
      composeDefault: info.studio.compose,
      sampler: info.sampler,
      count,
      seeds,
      disjointSeeds,
      measure: 'per job: mean over its image pairs (i < j) of sqrt(mean over pixels of (a - b)^2), a and b the result PNGs\' 8-bit values / 255; a row: the mean over job seeds (standardError: their standard deviation / sqrt(number of seeds)). Image i of a job has seed + i, so jobs from seeds 3, 4, 5 share images; disjoint: job seeds whose images do not overlap.',
      command: ['node', ...process.execArgv, script, ...process.argv.slice(2)].join(' '),
      date: new Date().toISOString(),
      rows
    }
    writeFileSync(values.out!, JSON.stringify(out, null, 2) + '\n')
    console.error(`written to ${values.out}`)
  } finally {
    await engine.dispose()
  }
}

main().catch((error) => {
  console.error(`compose-variety: ${(error as Error).message}`)
  process.exit(1)
})
