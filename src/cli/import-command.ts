import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { describeZodError, modelManifestSchema } from '../shared/manifest'
import { vaeManifestSchema } from '../shared/vae-manifest'
import { userModelsRoot } from '../engine/user-data'
import { UsageError, integer } from './args'
import { findPython, importerPath } from './python'

export const IMPORT_HELP = `  eqm import CHECKPOINT [--out DIR | --models ROOT] [--vae VAE_ID] [--id ID] [--title TEXT]
             [--heads N] [--ebm none|l2|dot|mean]
      a reference EqM checkpoint (.pt) -> a model folder: DIR, or ROOT/<id> (default ROOT: the
      user-data models folder, which the studio scans beside the shipped models)
  eqm import-vae DIR [--id ID] [--models ROOT]
      a diffusers AutoencoderKL folder (e.g. sd-vae-ft-ema) -> ROOT/vae/<id>
  Neither ever overwrites a folder. They run Python with torch and onnx (EQM_PYTHON, /usr/bin/python3 or python3).`

const ID = /^[a-z0-9][a-z0-9-]*$/
const EBM = ['none', 'l2', 'dot', 'mean']

interface ImportResult {
  id: string
  folder: string
  files: string[]
  seconds: number
  unavailable?: string | null
}

export async function runImportCommand(command: 'import' | 'import-vae', argv: string[]): Promise<number> {
  const isModel = command === 'import'
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: isModel
        ? { out: { type: 'string' }, models: { type: 'string' }, vae: { type: 'string' }, id: { type: 'string' }, title: { type: 'string' }, heads: { type: 'string' }, ebm: { type: 'string' } }
        : { out: { type: 'string' }, models: { type: 'string' }, id: { type: 'string' } }
    })
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify.*$/, ''))
  }
  const values = parsed.values as Record<string, string | undefined>
  if (parsed.positionals.length !== 1) throw new UsageError(`eqm ${command} takes one ${isModel ? 'CHECKPOINT file' : 'VAE folder'}`)
  const source = resolve(parsed.positionals[0])
  if (!existsSync(source)) throw new UsageError(`${source} does not exist`)
  if (values.out && values.models) throw new UsageError('give --out DIR or --models ROOT, not both')
  for (const flag of ['id', 'vae'] as const) {
    if (values[flag] !== undefined && !ID.test(values[flag]!)) throw new UsageError(`--${flag} must be lower-case letters, digits and dashes, got "${values[flag]}"`)
  }
  if (values.ebm !== undefined && !EBM.includes(values.ebm)) throw new UsageError(`--ebm must be one of ${EBM.join(', ')}, got "${values.ebm}"`)
  const heads = integer('heads', values.heads, 1, 1024)
  const root = resolve(values.models ?? userModelsRoot())
  const target = values.out ? resolve(values.out) : values.id ? join(root, isModel ? '' : 'vae', values.id) : undefined
  if (target && existsSync(target)) throw new UsageError(`${target} already exists; eqm ${command} never overwrites a folder`)

  const args = ['-m', 'eqm_import', command, source, ...(values.out ? ['--out', resolve(values.out)] : ['--models', root])]
  if (values.id) args.push('--id', values.id)
  if (isModel) {
    if (values.vae) args.push('--vae', values.vae)
    if (values.title) args.push('--title', values.title)
    if (heads !== undefined) args.push('--heads', String(heads))
    if (values.ebm) args.push('--ebm', values.ebm)
  }
  const python = findPython()
  const training = importerPath()
  const run = spawnSync(python, args, {
    cwd: training,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PYTHONPATH: [training, process.env.PYTHONPATH].filter(Boolean).join(process.platform === 'win32' ? ';' : ':'), PYTHONWARNINGS: 'ignore' }
  })
  if (run.status !== 0) {
    const lines = (run.stderr ?? '').trim().split('\n')
    const refusal = lines.filter((l) => l.startsWith('error: ')).pop()
    throw new UsageError(refusal ? refusal.slice('error: '.length) : `the importer failed (${run.error?.message ?? `exit ${run.status}`}): ${lines.slice(-5).join(' | ')}`)
  }
  const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as ImportResult
  checkWritten(isModel, result.folder)
  const summary: Record<string, unknown> = { id: result.id, folder: result.folder, files: result.files, seconds: result.seconds }
  if (isModel) {
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(result.folder, 'manifest.json'), 'utf8')))
    if (result.unavailable) summary.unavailable = result.unavailable
    const vaeId = manifest.latent?.vae
    if (vaeId && !existsSync(join(values.out ? join(result.folder, '..') : root, 'vae', vaeId, 'vae.json'))) {
      summary.needsVae = `${vaeId}: import it with eqm import-vae <folder of ${vaeId}> --id ${vaeId}${values.models ? ` --models ${root}` : ''}`
    }
  }
  console.log(JSON.stringify(summary))
  return 0
}

/** What Python wrote must parse as the engine reads it; a folder that does not is removed, not left half-valid. */
function checkWritten(isModel: boolean, folder: string): void {
  const file = join(folder, isModel ? 'manifest.json' : 'vae.json')
  const parsed = (isModel ? modelManifestSchema : vaeManifestSchema).safeParse(JSON.parse(readFileSync(file, 'utf8')))
  if (!parsed.success) {
    rmSync(folder, { recursive: true, force: true })
    throw new UsageError(`the importer wrote an invalid ${file} (removed): ${describeZodError(parsed.error)}`)
  }
}
