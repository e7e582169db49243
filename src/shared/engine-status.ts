/** What the UI is told about the engine process (desktop: over IPC; browser mode: over the socket). */
export interface EngineStatus {
  state: 'starting' | 'ready' | 'crashed' | 'failed'
  /** how the last engine process ended, in words, when it crashed */
  reason?: string
  restarts: number
  pid?: number
}
