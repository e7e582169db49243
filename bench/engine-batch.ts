import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { PNG } from 'pngjs'
import { z } from 'zod'
import { Engine } from '../src/engine/engine'
import { descend } from '../src/engine/sampler'
import { repairStart } from '../src/engine/held-renoise'
import { scoreFeatures } from '../src/engine/ood'
import { fitOodCalibration } from '../src/engine/ood-fit'
import type { OodFeatures } from '../src/engine/ood-kinds'
import { ORIENTATIONS } from '../src/engine/ood-copies'
import { OOD_SCORE } from '../src/shared/settings'
import { conditionSchema, type JobResult } from '../src/shared/jobs'
import { samplerSettingsSchema, describeZodError, resolveStudioDefaults, type OodCalibration } from '../src/shared/manifest'
import { base64ToBytes, bytesToBase64 } from '../src/shared/base64'
import { bytesToValues } from '../src/shared/image-convert'

/**
 * The engine's own code on a batch, for the Python benchmarks and parity tests (so the numbers
 * they report are what the app computes, not a second implementation's):
 *   node --import tsx bench/engine-batch.ts --in request.json --out response.json [--models DIR]
 * Ops (request.op): "kinds" (the OOD score kinds the engine computes), "repair" (each image
 * through the engine's repair job), "generate" (jobs through the generate job: class, CFG,
 * composition), "descend" (the sampler on given float starts), "ood-scores" (the engine's
 * scores of given OOD features, every kind asked for), "ood-fit" (the engine's calibration fit of
 * one score to given in-distribution features), "defaults" (the model's samplers: Generate's, and each tool's
 * from the manifest's studio block, resolved as the app resolves them). Binary data travel as base64: u8 = model bytes (C x H x W),
 * f32 = little-endian float32 values. training/engine_batch.py is the Python side.
 */
const f32 = z.string().describe('base64 float32')
const u8 = z.string().describe('base64 bytes')
const sampler = samplerSettingsSchema.partial().optional()
const conditions = z.array(conditionSchema).default([])
/** every OOD score the engine computes (one list, in the settings module) */
const oodScoreKinds = OOD_SCORE.choices.map((c) => c.value)

/** the per-class score's features of a set, as bench/ood-features.ts writes them */
const classFeatures = z.object({
  rms: z.array(z.array(z.number())),
  dot: z.array(z.number()),
  align: z.array(z.array(z.number())),
  pair: z.object({ rms: z.array(z.array(z.number())), dot: z.array(z.number()), align: z.array(z.array(z.number())) }),
  alignClass: z.array(z.number().int().min(0))
})

const requestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('kinds') }),
  z.object({ op: z.literal('defaults') }),
  z.object({
    op: z.literal('repair'),
    sampler,
    items: z.array(z.object({ photo: u8, mask: u8, strength: z.number(), seed: z.number().int(), conditions, holdUnmasked: z.boolean().default(true) })).min(1)
  }),
  z.object({ op: z.literal('generate'), jobs: z.array(z.object({ seed: z.number().int(), count: z.number().int(), conditions, sampler })).min(1) }),
  z.object({ op: z.literal('descend'), x0: f32, count: z.number().int().min(1), conditions, sampler: samplerSettingsSchema }),
  z.object({
    op: z.literal('ood-scores'),
    /** per set: features as bench/ood-features.ts writes them */
    sets: z.record(
      z.string(),
      z.object({
        rms: z.array(z.array(z.number())),
        dot: z.array(z.number()),
        align: z.array(z.array(z.number())).optional(),
        condRms: z.array(z.number()).optional(),
        cfgGap: z.array(z.number()).optional(),
        energy: z.array(z.number()).optional(),
        /** the generating network's features where the model has files.ood (score mahalanobis-align-pair) */
        pair: z.object({ rms: z.array(z.array(z.number())), dot: z.array(z.number()), align: z.array(z.array(z.number())) }).optional(),
        /** the classifier's features where the model has files.classifier (the classifier variant) */
        classifier: z.array(z.array(z.number())).optional(),
        /** the class the field finds for each image (score mahalanobis-align-pair-class) */
        alignClass: z.array(z.number().int().min(0)).optional(),
        /** the per-class features of each image's flipped and turned copies (score mahalanobis-align-pair-class-orient) */
        reoriented: z.partialRecord(z.enum(ORIENTATIONS), classFeatures).optional(),
        /** the per-class features of each image stretched to full contrast (score mahalanobis-align-pair-class-orient-stretch) */
        stretched: classFeatures.optional(),
        /** the per-class features of each image moved to the centre (score mahalanobis-align-pair-class-orient-stretch-centre) */
        recentred: classFeatures.optional()
      })
    ),
    /** one per score wanted: a manifest ood block without its quantiles and threshold */
    calibrations: z.array(z.object({ score: z.enum(oodScoreKinds as [string, ...string[]]) }).passthrough()).min(1)
  }),
  z.object({
    op: z.literal('ood-fit'),
    /** in-distribution calibration features, as bench/ood-features.ts writes a set's */
    features: z.object({ rms: z.array(z.array(z.number())), dot: z.array(z.number()) }).passthrough(),
    score: z.enum(oodScoreKinds as [string, ...string[]]),
    spec: z.object({
      noiseLevels: z.array(z.number()),
      seeds: z.array(z.number().int()),
      classes: z.number().int().optional(),
      alignClasses: z.number().int().optional(),
      orientations: z.array(z.enum(ORIENTATIONS)).optional()
    }),
    tpr: z.number().min(0).max(1)
  })
])
type Request = z.infer<typeof requestSchema>

const { values } = parseArgs({ options: { in: { type: 'string' }, out: { type: 'string' }, models: { type: 'string', default: 'models' }, model: { type: 'string' } } })

function floats(text: string, what: string): Float32Array {
  const bytes = base64ToBytes(text)
  if (bytes.length % 4 !== 0) throw new Error(`${what}: ${bytes.length} bytes is not a whole number of float32 values`)
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))
}

const floatsText = (x: Float32Array) => bytesToBase64(new Uint8Array(x.buffer, x.byteOffset, x.byteLength))

/** A result PNG back to model bytes (C x H x W), as the app's gallery stores it. */
function pngBytes(png: string, channels: number): string {
  const decoded = PNG.sync.read(Buffer.from(base64ToBytes(png)))
  const plane = decoded.width * decoded.height
  const out = new Uint8Array(channels * plane)
  for (let c = 0; c < channels; c++) for (let i = 0; i < plane; i++) out[c * plane + i] = decoded.data[i * 4 + c]
  return bytesToBase64(out)
}

function described(result: JobResult, channels: number) {
  return result.images.map((image) => ({ image: pngBytes(image.png, channels), seed: image.seed, steps: image.steps, gradNorm: image.gradNorm, stopped: image.stopped }))
}

async function serve(request: Request, engine: Engine): Promise<unknown> {
  if (request.op === 'kinds') return { oodScoreKinds }
  if (request.op === 'ood-scores') {
    // "energy" is the explicit model's energy itself (jobs/image-jobs.ts runOod); the others come from features
    const scores = Object.entries(request.sets).map(([name, features]) => [
      name,
      Object.fromEntries(request.calibrations.map((c) => [c.score, c.score === 'energy' ? energyOf(name, features.energy) : scoreFeatures(features, c as OodCalibration)]))
    ])
    return { scores: Object.fromEntries(scores) }
  }
  // the engine's own fit (the one a user's calibration runs), so a manifest written from Python holds what the app would fit
  if (request.op === 'ood-fit') return { calibration: fitOodCalibration(request.features as unknown as OodFeatures, request) }
  const entry = engine.model(values.model)
  const { manifest } = entry
  if (request.op === 'defaults') return { sampler: manifest.sampler, studio: resolveStudioDefaults(manifest.studio, manifest.sampler) }
  const [channels, height, width] = manifest.shape
  if (request.op === 'descend') {
    const { field } = await engine.jobModels(entry)
    const all = floats(request.x0, 'x0')
    if (all.length !== request.count * field.sampleSize) throw new Error(`x0 has ${all.length} values, expected count ${request.count} x ${field.sampleSize}`)
    const samples = Array.from({ length: request.count }, (_, i) => ({ x: all.slice(i * field.sampleSize, (i + 1) * field.sampleSize) }))
    const outcomes = await descend(field, samples, { ...request.sampler, conditions: request.conditions })
    const x = new Float32Array(all.length)
    samples.forEach((s, i) => x.set(s.x, i * field.sampleSize))
    return { x: floatsText(x), outcomes }
  }
  if (request.op === 'generate') {
    const results = []
    for (const [j, job] of request.jobs.entries()) {
      const result = await engine
        .call('generate', { jobId: `bench-${j}`, modelId: manifest.id, previewEvery: 0, ...job })
        .catch((error: Error) => Promise.reject(new Error(`jobs[${j}]: ${error.message}`)))
      results.push(described(result, channels))
    }
    return { results }
  }
  const results = []
  for (const [i, item] of request.items.entries()) {
    const image = { width, height, channels, data: item.photo }
    const mask = { width, height, channels: 1, data: item.mask }
    const result = await engine
      .call('repair', { jobId: `bench-${i}`, modelId: manifest.id, seed: item.seed, count: 1, previewEvery: 0, image, mask, strength: item.strength, holdUnmasked: item.holdUnmasked, conditions: item.conditions, sampler: request.sampler })
      .catch((error: Error) => Promise.reject(new Error(`items[${i}]: ${error.message}`)))
    // the state the job started from (the same engine function, the same seed): the benchmarks'
    // noised input, classical fill and flow matching start there too
    const photo = bytesToValues(base64ToBytes(item.photo), manifest.valueRange)
    const maskBytes = base64ToBytes(item.mask)
    const freedom = Float32Array.from(photo, (_, k) => maskBytes[k % maskBytes.length] / 255)
    const start = repairStart(photo, freedom, item.strength, result.images[0].seed).x
    results.push({ ...described(result, channels)[0], start: floatsText(start) })
  }
  return { results }
}

function energyOf(set: string, energy: number[] | undefined): number[] {
  if (!energy) throw new Error(`ood-scores: score "energy" needs ${set}.energy (a model with files.energy)`)
  return energy
}

async function main(): Promise<void> {
  if (!values.in) throw new Error('--in request.json is required')
  const parsed = requestSchema.safeParse(JSON.parse(readFileSync(values.in, 'utf8')))
  if (!parsed.success) throw new Error(`${values.in}: ${describeZodError(parsed.error)}`)
  const engine = new Engine({ modelRoots: [values.models!], maxBatchRows: 64 })
  try {
    const response = JSON.stringify(await serve(parsed.data, engine))
    if (values.out) writeFileSync(values.out, response)
    else process.stdout.write(response)
  } finally {
    await engine.dispose()
  }
}

main().catch((error) => {
  console.error(`engine-batch: ${(error as Error).message}`)
  process.exit(1)
})
