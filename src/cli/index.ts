import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Engine } from '../engine/engine'
import { EngineError } from '../engine/errors'
import { defaultModelsRoot } from '../engine/hosts/host-config'
import { defaultUserData, int8CacheDir, userModelsRoot } from '../engine/user-data'
import { runImportCommand } from './import-command'
import { base64ToBytes, bytesToBase64 } from '../shared/base64'
import { rgbaToModel } from '../shared/image-convert'
import type { ModelInfo, ProviderName } from '../shared/engine-protocol'
import { samplerForMethod, type SamplerSettings } from '../shared/manifest'
import type { JobResult } from '../shared/jobs'
import { UsageError, integer, resolveClass, resolveWeightedClass, settingOption, slug } from './args'
import { helpText } from './help'
import { CPU_PRECISION, JOB, PROVIDER, REPAIR, SAMPLER, SAMPLER_METHOD, type CpuPrecision } from '../shared/settings'
import { oodCommand, round } from './ood-command'
import { prepareOut } from './out-path'
import { readImageFile } from './read-image'
import { repairPhotoCommand } from './photo-repair-command'
import { calibrateCommand } from './calibrate-command'

const options = {
  class: { type: 'string', multiple: true },
  count: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  model: { type: 'string' },
  models: { type: 'string', multiple: true },
  provider: { type: 'string' },
  'cpu-precision': { type: 'string' },
  sampler: { type: 'string' },
  steps: { type: 'string' },
  'step-size': { type: 'string' },
  mu: { type: 'string' },
  cfg: { type: 'string' },
  'stop-grad-norm': { type: 'string' },
  'far-cfg': { type: 'string' },
  'far-until-rms': { type: 'string' },
  'far-until-time': { type: 'string' },
  batch: { type: 'string' },
  in: { type: 'string' },
  mask: { type: 'string' },
  strength: { type: 'string' },
  'no-hold': { type: 'boolean' },
  padding: { type: 'string' },
  context: { type: 'string' },
  feather: { type: 'string' },
  'user-data': { type: 'string' },
  reset: { type: 'boolean' },
  score: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values']

async function main(argv: string[]): Promise<number> {
  // the importers take their own options (parsed in import-command.ts)
  if (argv[0] === 'import' || argv[0] === 'import-vae') return runImportCommand(argv[0], argv.slice(1))
  let parsed
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify.*$/, ''))
  }
  const { values, positionals } = parsed
  const [command, ...rest] = positionals
  if (values.help || !command) {
    console.log(helpText())
    return command || values.help ? 0 : 2
  }
  const providers: readonly string[] = PROVIDER.choices.map((c) => c.value)
  if (values.provider && !providers.includes(values.provider)) throw new UsageError(`--provider must be one of ${providers.join(', ')}`)
  const precisions: readonly string[] = CPU_PRECISION.choices.map((c) => c.value)
  const precision = values['cpu-precision']
  if (precision !== undefined && !precisions.includes(precision)) throw new UsageError(`--${CPU_PRECISION.cliFlag} must be one of ${precisions.join(', ')}, got "${precision}"`)
  const userData = values['user-data'] ? resolve(values['user-data']) : defaultUserData()
  const engine = new Engine({
    modelRoots: values.models?.length ? values.models.map((m) => resolve(m)) : [defaultModelsRoot(), userModelsRoot(userData)],
    calibrationsDir: join(userData, 'ood-calibrations'),
    int8CacheDir: int8CacheDir(userData),
    provider: (values.provider as ProviderName | 'auto' | undefined) ?? 'auto',
    maxBatchRows: integer('batch', values.batch, 1, 4096),
    cpuPrecision: (precision as CpuPrecision | undefined) ?? CPU_PRECISION.default
  })
  try {
    switch (command) {
      case 'generate':
        return await generate(engine, values, false)
      case 'compose':
        return await generate(engine, values, true)
      case 'repair':
        return await repair(engine, values)
      case 'ood':
        return await oodCommand(engine, model(engine, values.model), rest, values.json ?? false)
      case 'calibrate':
        if (!values.model) throw new UsageError('calibrate needs --model ID (the model whose calibration is fitted)')
        return await calibrateCommand(engine, model(engine, values.model), rest, values.reset ?? false, values.score)
      case 'models':
        return await models(engine)
      default:
        throw new UsageError(`unknown command "${command}" (generate, compose, repair, ood, calibrate, models)`)
    }
  } finally {
    await engine.dispose()
  }
}

function model(engine: Engine, id: string | undefined): ModelInfo {
  const entry = engine.model(id)
  return engine.listModels().find((m) => m.id === entry.manifest.id)!
}

function samplerOverrides(values: Values): Partial<SamplerSettings> {
  const methods: readonly string[] = SAMPLER_METHOD.choices.map((c) => c.value)
  if (values.sampler && !methods.includes(values.sampler)) throw new UsageError(`--sampler must be ${methods.join(' or ')}, got "${values.sampler}"`)
  const overrides: Partial<SamplerSettings> = {
    method: values.sampler as SamplerSettings['method'] | undefined,
    maxSteps: settingOption(SAMPLER.maxSteps, values.steps),
    stepSize: settingOption(SAMPLER.stepSize, values['step-size']),
    mu: settingOption(SAMPLER.mu, values.mu),
    cfg: settingOption(SAMPLER.cfg, values.cfg),
    stopGradNorm: settingOption(SAMPLER.stopGradNorm, values['stop-grad-norm']),
    farCfg: settingOption(SAMPLER.farCfg, values['far-cfg']),
    farUntilRms: settingOption(SAMPLER.farUntilRms, values['far-until-rms']),
    farUntilTime: settingOption(SAMPLER.farUntilTime, values['far-until-time'])
  }
  return Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined))
}

/**
 * A tool's sampler from the command line: its defaults, moved to the benchmarked setting of the
 * method --sampler names (the studio's method switch, samplerForMethod), then each option given.
 */
function toolSampler(values: Values, defaults: SamplerSettings, info: ModelInfo): SamplerSettings {
  const overrides = samplerOverrides(values)
  const start = overrides.method ? samplerForMethod(defaults, overrides.method, defaults, info.samplerPresets) : defaults
  return { ...start, ...overrides }
}

function requireOption(values: Values, name: 'out' | 'in' | 'mask'): string {
  const value = values[name]
  if (!value) throw new UsageError(`--${name} is required`)
  return value
}

function seedOf(values: Values): number {
  return settingOption(JOB.seed, values.seed) ?? Math.floor(Math.random() * 2 ** 31)
}

async function generate(engine: Engine, values: Values, compose: boolean): Promise<number> {
  const info = model(engine, values.model)
  const classArgs = values.class ?? []
  if (classArgs.length === 0) throw new UsageError(compose ? 'compose needs two or more --class NAME:WEIGHT' : '--class is required')
  if (!compose && classArgs.length > 1) throw new UsageError('generate takes one --class; use "eqm compose" for several')
  // a composition starts from the model's benchmarked weight and guidance (manifest "studio")
  const conditions = compose
    ? classArgs.map((c) => resolveWeightedClass(c, info.classes, info.studio.compose.weight))
    : [{ classIndex: resolveClass(classArgs[0], info.classes), weight: 1 }]
  if (compose && conditions.length < 2) throw new UsageError('compose needs two or more --class NAME:WEIGHT')
  // every option is checked, then --out, and only then does the job run
  const seed = seedOf(values)
  const count = settingOption(JOB.count, values.count) ?? 1
  // a composition starts from the model's composition sampler (manifest studio.compose), not Generate's
  const sampler = toolSampler(values, compose ? info.studio.compose.sampler : info.sampler, info)
  const out = prepareOut(requireOption(values, 'out'), 'folder')
  const result = await engine.call('generate', { jobId: 'cli', modelId: info.id, seed, count, conditions, sampler, previewEvery: 0 })
  const name = conditions.map((c) => slug(info.classes[c.classIndex])).join('+')
  writeImages(result, (seed) => join(out, `${compose ? 'compose-' : ''}${name}-${seed}.png`), (line) => ({
    ...line,
    ...(compose
      ? { classes: conditions.map((c) => ({ class: info.classes[c.classIndex], classIndex: c.classIndex, weight: c.weight })) }
      : { class: info.classes[conditions[0].classIndex], classIndex: conditions[0].classIndex })
  }))
  return 0
}

function writeImages(result: JobResult, path: (seed: number) => string, describe: (line: Record<string, unknown>) => Record<string, unknown>): void {
  for (const image of result.images) {
    const file = path(image.seed)
    writeFileSync(file, base64ToBytes(image.png))
    const line = describe({ file, seed: image.seed, steps: image.steps, gradNorm: round(image.gradNorm) })
    console.log(JSON.stringify({ file: line.file, ...line }))
  }
}

async function repair(engine: Engine, values: Values): Promise<number> {
  const info = model(engine, values.model)
  const [channels, height, width] = info.shape
  const inPath = requireOption(values, 'in')
  const maskPath = requireOption(values, 'mask')
  const conditions = (values.class ?? []).map((c) => resolveWeightedClass(c, info.classes))
  const seed = seedOf(values)
  const strength = settingOption(REPAIR.strength, values.strength) ?? info.studio.repair.strength
  const sampler = toolSampler(values, info.studio.repair.sampler, info)
  const out = prepareOut(requireOption(values, 'out'), 'file')
  if (info.space === 'latent') {
    const holdUnmasked = values['no-hold'] ? false : info.studio.repair.holdUnmasked
    return repairPhotoCommand(engine, info, { inPath, maskPath, out, seed, strength, holdUnmasked, conditions, sampler, padding: values.padding, context: values.context, feather: values.feather })
  }
  const image = rgbaToModel(await readImageFile(inPath), { channels, width, height })
  const mask = rgbaToModel(await readImageFile(maskPath), { channels: 1, width, height })
  const result = await engine.call('repair', {
    jobId: 'cli',
    modelId: info.id,
    seed,
    image: { width, height, channels, data: bytesToBase64(image) },
    mask: { width, height, channels: 1, data: bytesToBase64(mask) },
    strength,
    holdUnmasked: values['no-hold'] ? false : info.studio.repair.holdUnmasked,
    conditions,
    count: 1,
    sampler,
    previewEvery: 0
  })
  writeImages(result, () => out, (line) => line)
  return 0
}

async function models(engine: Engine): Promise<number> {
  const list = engine.listModels()
  const problems = [...engine.modelProblems]
  // loading a model probes the execution providers; a model whose networks (gradient field,
  // energy) fail to load is a problem to list
  for (const m of list) {
    try {
      await engine.jobModels(engine.model(m.id))
    } catch (error) {
      problems.push({ folder: m.id, message: (error as Error).message })
    }
  }
  const info = engine.info()
  console.log(JSON.stringify({
    provider: info.active,
    providers: info.providers,
    models: list.map((m) => ({ id: m.id, title: m.title, space: m.space, shape: m.shape, ...(m.space === 'latent' ? { imageShape: m.imageShape, vae: m.vae } : {}), classes: m.classes, sampler: m.sampler, oodCalibrated: m.ood !== null, ...(m.unavailable ? { unavailable: m.unavailable } : {}) })),
    problems
  }, null, 2))
  return list.length > problems.length - engine.modelProblems.length ? 0 : 1
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    const usage = error instanceof UsageError
    const message = error instanceof UsageError || error instanceof EngineError ? error.message : `unexpected error: ${(error as Error)?.message ?? String(error)}`
    console.error(`eqm: ${message}${usage ? ' (eqm --help for usage)' : ''}`)
    process.exit(usage ? 2 : 1)
  }
)
