import type { ClientMessage, EngineMessage } from './engine-protocol'
import type { EngineStatus } from './engine-status'

/**
 * Every message between EqM Studio's processes, apart from the engine contract itself
 * (engine-protocol.ts) and main <-> renderer invokes (ipc-contract.ts). Both ends of each
 * boundary import their types from here, so a renamed or reshaped message fails to compile
 * on both sides.
 *
 *   supervisor (main / web server) --HostToEngine--> engine host --EngineToHost--> supervisor
 *   page --PageToServer--> browser-mode server --ServerToPage--> page
 *   main --MainToRenderer events--> preload --> renderer
 */

/** Parent -> engine host. */
export type HostToEngine =
  /** Electron: a window's MessagePort arrives with this message (event.ports[0]) */
  | { type: 'connect' }
  /** Node child (browser mode, tests): sockets multiplexed over the IPC channel */
  | { type: 'open'; conn: number }
  | { type: 'message'; conn: number; data: ClientMessage }
  | { type: 'close'; conn: number }

/** Engine host -> parent. */
export type EngineToHost =
  /** the engine is loaded and listening: the supervisor connects windows now */
  | { type: 'ready'; pid: number }
  /** Node child: a reply or event for one multiplexed socket */
  | { type: 'message'; conn: number; data: EngineMessage }

/** Browser mode: what the server itself (not the engine) tells a page. */
export type ServerToPage = { kind: 'host-status'; status: EngineStatus }

/** Browser mode: what the server itself (not the engine) takes from a page. */
export type HostCommand = { kind: 'host-command'; command: 'restart-engine' }

/** Browser mode: everything a page may send on its socket. */
export type PageToServer = ClientMessage | HostCommand

/** Main -> renderer pushes (one-way IPC events), by channel. */
export interface MainToRenderer {
  'engine:status': EngineStatus
  /** carries a MessagePort (event.ports[0]) straight to the engine; no payload */
  'engine:port': null
  /** the window is about to close (or the app to quit): save what is pending, then invoke 'app:flushed' with this request */
  'app:flush-before-close': { request: number }
}
export type MainToRendererChannel = keyof MainToRenderer

/** Posted by the preload to the page's own window with the engine's MessagePort (it cannot cross contextBridge). */
export const ENGINE_PORT_MESSAGE = 'eqm:engine-port'

export function isHostCommand(message: unknown): message is HostCommand {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'host-command'
}

export function isEngineToHost(message: unknown): message is EngineToHost {
  if (typeof message !== 'object' || message === null) return false
  const type = (message as { type?: unknown }).type
  return type === 'ready' || type === 'message'
}
