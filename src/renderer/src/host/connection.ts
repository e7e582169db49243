import type { ClientMessage, EngineMessage } from '../../../shared/engine-protocol'
import type { EngineStatus } from '../../../shared/engine-status'

/** A live line to the engine: a MessagePort (desktop) or a WebSocket (browser mode). */
export interface EngineConnection {
  send(message: ClientMessage): void
  onMessage(listener: (message: EngineMessage) => void): void
  close(): void
}

/** What the renderer needs from where it runs: desktop (preload + main) or browser mode (server). */
export interface Host {
  mode: 'desktop' | 'web'
  /** called with every new connection: at start and after each engine restart */
  onConnection(listener: (connection: EngineConnection) => void): void
  onStatus(listener: (status: EngineStatus) => void): void
  restartEngine(): void
  /** desktop: a native save dialog; web: a download */
  saveImage(name: string, pngBase64: string): Promise<{ saved: boolean; path?: string }>
  /** desktop: a native dialog for what "Add model…" imports; web: null (the page asks for a path on the server's machine) */
  chooseImportSource(kind: 'model' | 'vae'): Promise<string | null>
  /**
   * desktop: main asks before it closes the window (or quits) and waits for `save` to settle;
   * web: nothing to register, since a tab cannot hold its close (autosave flushes on beforeunload)
   */
  onBeforeClose(save: () => Promise<void>): void
}
