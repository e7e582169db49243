import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { UsageError } from './args'

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
  throw new UsageError(
    `eqm import needs Python 3 with PyTorch and onnx; none found: ${tried.join('; ')}. ` +
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
  throw new UsageError(`the importer (training/eqm_import) is not found above ${from}; run eqm from a source checkout`)
}
