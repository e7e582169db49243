import type { EngineStatus } from './engine-status'

/** Browser mode: what the server itself (not the engine) tells a socket. */
export type ServerMessage = { kind: 'host-status'; status: EngineStatus }
