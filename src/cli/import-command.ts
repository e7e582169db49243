import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { ImportRequest } from '../shared/engine-protocol'
import { userModelsRoot } from '../engine/user-data'
import { EngineError } from '../engine/errors'
import { runImport } from '../engine/model-import'
import { UsageError, integer } from './args'

export const IMPORT_HELP = `  eqm import CHECKPOINT [--out DIR | --models ROOT] [--vae VAE_ID] [--id ID] [--title TEXT]
             [--heads N] [--ebm none|l2|dot|mean]
      a reference EqM checkpoint (.pt, or its weights as .safetensors) -> a model folder: DIR, or ROOT/<id> (default ROOT: the
      user-data models folder, which the studio scans beside the shipped models)
  eqm import-vae DIR [--id ID] [--models ROOT]
      a diffusers AutoencoderKL folder (e.g. sd-vae-ft-ema) -> ROOT/vae/<id>
  Neither ever overwrites a folder. They run Python with torch and onnx (EQM_PYTHON, /usr/bin/python3 or python3).`

const ID = /^[a-z0-9][a-z0-9-]*$/
const EBM = ['none', 'l2', 'dot', 'mean']

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

  const request: ImportRequest = {
    kind: isModel ? 'model' : 'vae',
    source,
    out: values.out ? resolve(values.out) : undefined,
    id: values.id,
    vae: values.vae,
    title: values.title,
    heads,
    ebm: values.ebm as ImportRequest['ebm']
  }
  let result
  try {
    result = await runImport(request, root)
  } catch (error) {
    // the importer's refusals are about what the user gave it: usage errors (exit 2)
    if (error instanceof EngineError) throw new UsageError(error.message)
    throw error
  }
  const summary: Record<string, unknown> = { ...result }
  if (result.needsVae) summary.needsVae = `${result.needsVae}: import it with eqm import-vae <folder of ${result.needsVae}> --id ${result.needsVae}${values.models ? ` --models ${root}` : ''}`
  console.log(JSON.stringify(summary))
  return 0
}
