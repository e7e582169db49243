import { z } from 'zod'
import type { EngineStatus } from './engine-status'
import type { IpcChannelName } from './ipc-channels'

/**
 * Main <-> renderer IPC (desktop only; browser mode has no main process). Every invoke
 * channel has its params schema here, so main validates exactly what the types promise.
 * Engine traffic does not pass here: it flows over a MessagePort straight to the engine.
 * Main's one-way pushes to the renderer are typed in process-messages.ts (MainToRenderer).
 */
export interface AppInfo {
  version: string
  mode: 'desktop' | 'web'
  platform: string
  userData: string
}

export const ipcInvokeSchemas = {
  'app:flushed': z.object({ request: z.number().int().positive() }).strict(),
  'app:info': z.object({}).strict(),
  'engine:connect': z.object({}).strict(),
  'engine:restart': z.object({}).strict(),
  'engine:status': z.object({}).strict(),
  'file:saveImage': z
    .object({
      suggestedName: z.string().min(1).max(200).regex(/^[^/\\]+\.png$/, 'a file name ending in .png, no folders'),
      pngBase64: z.string().min(1).max(64 * 1024 * 1024)
    })
    .strict(),
  'file:chooseImportSource': z.object({ kind: z.enum(['model', 'vae']) }).strict()
} as const

export interface IpcInvokeContract {
  /** the window's answer to 'app:flush-before-close': its pending changes are saved; false for an unknown or expired request */
  'app:flushed': { params: { request: number }; result: { acknowledged: boolean } }
  'app:info': { params: Record<string, never>; result: AppInfo }
  'engine:connect': { params: Record<string, never>; result: { requested: boolean } }
  'engine:restart': { params: Record<string, never>; result: EngineStatus }
  'engine:status': { params: Record<string, never>; result: EngineStatus }
  'file:saveImage': { params: { suggestedName: string; pngBase64: string }; result: { saved: boolean; path?: string } }
  /** "Add model…": a native dialog for a checkpoint file (model) or a diffusers VAE folder (vae); null when cancelled */
  'file:chooseImportSource': { params: { kind: 'model' | 'vae' }; result: { path: string | null } }
}
export type IpcChannel = keyof IpcInvokeContract

/** Compile-time: every contract channel has a schema accepting exactly its params, and vice versa. */
export type IpcSchemasMatchContract = {
  [C in IpcChannel]: z.input<(typeof ipcInvokeSchemas)[C]> extends IpcInvokeContract[C]['params']
    ? IpcInvokeContract[C]['params'] extends z.input<(typeof ipcInvokeSchemas)[C]>
      ? true
      : false
    : false
}
export type IpcSchemasCoverContract = Exclude<IpcChannel, keyof typeof ipcInvokeSchemas> extends never ? true : false

/** What preload exposes as window.eqm. */
export interface EqmDesktopApi {
  invoke<C extends IpcChannel>(channel: C, params: IpcInvokeContract[C]['params']): Promise<IpcInvokeContract[C]['result']>
  onEngineStatus(listener: (status: EngineStatus) => void): () => void
  /** main asks the window to save before it closes it; the page answers with invoke('app:flushed', { request }) */
  onFlushRequest(listener: (request: number) => void): () => void
}

/** Compile-time: the preload's plain channel list is exactly the contract's channels. */
export type IpcChannelListMatches = [IpcChannel] extends [IpcChannelName] ? ([IpcChannelName] extends [IpcChannel] ? true : false) : false
