import { homedir } from 'node:os'
import { join } from 'node:path'

/** Same folder Electron uses for app "eqm-studio", so desktop, browser mode and the CLI share it. */
export function defaultUserData(): string {
  if (process.env.EQM_USER_DATA) return process.env.EQM_USER_DATA
  if (process.platform === 'win32') return join(process.env.APPDATA ?? homedir(), 'eqm-studio')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'eqm-studio')
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'eqm-studio')
}

/** int8-quantised models kept between loads (int8-cache.ts): the studio, browser mode and the CLI pass it to the engine. */
export function int8CacheDir(userData: string): string {
  return join(userData, 'int8-cache')
}

/** Imported models (`eqm import`) live here, scanned beside the shipped models; VAEs under its vae/. */
export function userModelsRoot(userData: string = defaultUserData()): string {
  return join(userData, 'models')
}
