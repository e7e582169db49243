import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describeZodError, modelManifestSchema } from '../shared/manifest'
import { vaeManifestSchema } from '../shared/vae-manifest'
import type { ImportRequest, ImportResult } from '../shared/engine-protocol'
import { EngineError } from './errors'

/**
 * The importers of reference checkpoints and VAEs (training/eqm_import, Python with torch):
 * found, run and checked here, for the CLI (`eqm import`, `eqm import-vae`) and the studio's
 * "Add model…" alike. Checkpoints are read by a restricted unpickler, never executed.
 */
const NEEDED_MODULES = 'torch, onnx'

/**
 * The Python the importers run on: EQM_PYTHON, then /usr/bin/python3, then python3 on PATH; the
 * first that imports torch and onnx (the checkpoints are PyTorch files; the export writes ONNX).
 */
export function findPython(env: NodeJS.ProcessEnv = process.env, candidates: Array<[string, string]> = pythonCandidates(env)): string {
  const tried: string[] = []
  for (const [command, label] of candidates) {
    const probe = spawnSync(command, ['-c', `import ${NEEDED_MODULES}`], { encoding: 'utf8', timeout: 120_000, env })
    if (probe.status === 0) return command
    const why = probe.error ? 'not found' : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`)
    tried.push(`${label} (${why})`)
  }
  throw new EngineError(
    'bad-request',
    `importing needs Python 3 with PyTorch and onnx; none found: ${tried.join('; ')}. ` +
      'Install them (pip install torch onnx, or on Debian/Ubuntu: apt install python3-torch python3-onnx) ' +
      'or point EQM_PYTHON at a Python that has them'
  )
}

export function pythonCandidates(env: NodeJS.ProcessEnv): Array<[command: string, label: string]> {
  const candidates: Array<[string, string]> = []
  if (env.EQM_PYTHON) candidates.push([env.EQM_PYTHON, 'EQM_PYTHON'])
  candidates.push(['/usr/bin/python3', '/usr/bin/python3'], [process.platform === 'win32' ? 'python' : 'python3', 'python3 on PATH'])
  return candidates
}

/** training/, which holds the eqm_import package: found by walking up from this file to the project root. */
export function importerPath(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'training', 'eqm_import', '__main__.py'))) return join(dir, 'training')
    if (dirname(dir) === dir) break
  }
  throw new EngineError('bad-request', `the importer (training/eqm_import) is not found above ${from}; importing needs a source checkout of EqM Studio`)
}

/** The folder an import will write, when it is known before running (to refuse an existing one early). */
export function importTarget(request: ImportRequest, root: string): string | undefined {
  if (request.out) return request.out
  return request.id ? join(root, request.kind === 'vae' ? 'vae' : '', request.id) : undefined
}

/**
 * Runs one import into `root` (or request.out): never over an existing folder; what Python
 * wrote must parse as the engine reads it, else it is removed. Asynchronous: the engine keeps
 * serving while Python works (an XL/2 import takes minutes).
 */
export async function runImport(request: ImportRequest, root: string): Promise<ImportResult> {
  if (!existsSync(request.source)) throw new EngineError('bad-request', `${request.source} does not exist`)
  const target = importTarget(request, root)
  if (target && existsSync(target)) throw new EngineError('bad-request', `${target} already exists; importing never overwrites a folder`)
  const command = request.kind === 'vae' ? 'import-vae' : 'import'
  const args = ['-m', 'eqm_import', command, request.source, ...(request.out ? ['--out', request.out] : ['--models', root])]
  if (request.id) args.push('--id', request.id)
  if (request.kind === 'model') {
    if (request.vae) args.push('--vae', request.vae)
    if (request.title) args.push('--title', request.title)
    if (request.heads !== undefined) args.push('--heads', String(request.heads))
    if (request.ebm) args.push('--ebm', request.ebm)
  }
  const python = findPython()
  const training = importerPath()
  const { code, stdout, stderr } = await runPython(python, args, training)
  if (code !== 0) {
    const lines = stderr.trim().split('\n')
    const refusal = lines.filter((l) => l.startsWith('error: ')).pop()
    throw new EngineError('bad-request', refusal ? refusal.slice('error: '.length) : `the importer failed (exit ${code}): ${lines.slice(-5).join(' | ')}`)
  }
  const written = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ImportResult
  checkWritten(request.kind, written.folder)
  const result: ImportResult = { id: written.id, folder: written.folder, files: written.files, seconds: written.seconds }
  if (request.kind === 'model') {
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(written.folder, 'manifest.json'), 'utf8')))
    if (written.unavailable) result.unavailable = written.unavailable
    const vaeId = manifest.latent?.vae
    if (vaeId && !existsSync(join(request.out ? join(written.folder, '..') : root, 'vae', vaeId, 'vae.json'))) {
      result.needsVae = vaeId
    }
  }
  return result
}

function runPython(python: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const sep = process.platform === 'win32' ? ';' : ':'
    const child = spawn(python, args, {
      cwd,
      env: { ...process.env, PYTHONPATH: [cwd, process.env.PYTHONPATH].filter(Boolean).join(sep), PYTHONWARNINGS: 'ignore' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    // the importer's progress lines; keep the tail only (a long import must not grow memory)
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-64 * 1024)))
    child.on('error', (error) => reject(new EngineError('bad-request', `could not start ${python}: ${error.message}`)))
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
  })
}

/** What Python wrote must parse as the engine reads it; a folder that does not is removed, not left half-valid. */
function checkWritten(kind: ImportRequest['kind'], folder: string): void {
  const file = join(folder, kind === 'model' ? 'manifest.json' : 'vae.json')
  const parsed = (kind === 'model' ? modelManifestSchema : vaeManifestSchema).safeParse(JSON.parse(readFileSync(file, 'utf8')))
  if (!parsed.success) {
    rmSync(folder, { recursive: true, force: true })
    throw new EngineError('model-invalid', `the importer wrote an invalid ${file} (removed): ${describeZodError(parsed.error)}`)
  }
}
