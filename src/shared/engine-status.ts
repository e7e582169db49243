/** What the UI is told about the engine process (desktop: over IPC; browser mode: over the socket). */
export interface EngineStatus {
  /**
   * 'disconnected' is browser mode only, set by the page itself: its server is not reachable
   * (stopped, restarting, or back with another token), so nothing can be sent.
   */
  state: 'starting' | 'ready' | 'crashed' | 'failed' | 'disconnected'
  /** how the last engine process ended, in words, when it crashed; why the server is unreachable */
  reason?: string
  restarts: number
  pid?: number
  /** browser mode: the server answered but refused this page's token (it was started with a new one) */
  tokenRefused?: boolean
}
