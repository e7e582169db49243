import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { EngineOptions } from '../engine'
import type { ProviderName } from '../../shared/engine-protocol'
import { userModelsRoot } from '../user-data'
import { CPU_PRECISION, type CpuPrecision } from '../../shared/settings'

/** Passed from the parent as one JSON argument, so hosts read no ambient state but env overrides. */
export interface HostConfig {
  modelRoots: string[]
  /** the user-data models folder the studio's "Add model…" imports into */
  importRoot?: string
  sessionFile?: string
  /** the user's OOD calibrations (eqm calibrate), in the user-data folder */
  calibrationsDir?: string
  /** int8 models kept between loads, in the user-data folder (user-data.ts int8CacheDir) */
  int8CacheDir?: string
  provider?: ProviderName | 'auto'
  /** settings CPU_PRECISION: int8 gradient models on the CPU provider */
  cpuPrecision?: CpuPrecision
}

export const HOST_CONFIG_FLAG = '--eqm-host-config='

export function hostConfigArg(config: HostConfig): string {
  return HOST_CONFIG_FLAG + JSON.stringify(config)
}

export function readHostConfig(argv: readonly string[]): EngineOptions {
  const arg = argv.find((a) => a.startsWith(HOST_CONFIG_FLAG))
  const config: HostConfig = arg ? JSON.parse(arg.slice(HOST_CONFIG_FLAG.length)) : { modelRoots: [defaultModelsRoot(), userModelsRoot()] }
  const provider = (process.env.EQM_PROVIDER as ProviderName | 'auto' | undefined) ?? config.provider
  // EQM_CPU_PRECISION=int8 starts the studio's engine in int8 (its CPU precision field, once the
  // user picks a value, switches it at runtime: engine.setCpuPrecision); an unknown value is ignored
  const envPrecision = CPU_PRECISION.choices.find((c) => c.value === process.env.EQM_CPU_PRECISION)?.value
  const cpuPrecision = envPrecision ?? config.cpuPrecision
  return { modelRoots: config.modelRoots, sessionFile: config.sessionFile, provider, importRoot: config.importRoot, calibrationsDir: config.calibrationsDir, int8CacheDir: config.int8CacheDir, cpuPrecision }
}

/**
 * models/ at the project (or installed package) root: the nearest folder above this file
 * that holds package.json. Found by walking up because the bundler may place this code in
 * out/main/ or in a shared chunk below it, so a fixed number of levels is not reliable.
 */
export function defaultModelsRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'models')
    if (dirname(dir) === dir) return join(from, '..', '..', 'models')
  }
}
