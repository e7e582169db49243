import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { webcrypto } from 'node:crypto'
import { Engine, type EngineSink } from '../../src/engine/engine'
import type { EngineClient } from '../../src/renderer/src/host/engine-client'
import type { EngineConnection } from '../../src/renderer/src/host/connection'
import type { EngineMessage } from '../../src/shared/engine-protocol'
import { FIXTURE_MODELS } from './paths'

/**
 * The real engine on the quadratic field, in the test's own process, for renderer store
 * tests: the connection hands over the same structured-cloned wire messages a MessagePort
 * carries, asynchronously, as a port would.
 */
export function quadraticEngine(prefix: string): Engine {
  const models = mkdtempSync(join(tmpdir(), prefix))
  cpSync(join(FIXTURE_MODELS, 'quadratic'), join(models, 'quadratic'), { recursive: true })
  // a user-data folder of its own: results go to its image store as in the app
  return new Engine({ modelRoots: [models], frameIntervalMs: 0, sessionFile: join(mkdtempSync(join(tmpdir(), `${prefix}user-`)), 'session.json') })
}

/** Attaches `client` to `engine`; the function returned ends that connection as a closed socket does. */
export function connectInProcess(engine: Engine, client: EngineClient): () => void {
  let listener: ((m: EngineMessage) => void) | null = null
  const sink: EngineSink = { send: (m) => setImmediate(() => listener?.(structuredClone(m))) }
  const connection: EngineConnection = {
    send: (m) => setImmediate(() => engine.receive(sink, structuredClone(m))),
    onMessage: (l) => {
      listener = l
    },
    close: () => undefined
  }
  client.attach(connection)
  return () => engine.detach(sink)
}

/** What a browser gives the renderer and node lacks: frames to paint after, and crypto. */
export function installBrowserGlobals(): void {
  globalThis.requestAnimationFrame ??= ((cb: FrameRequestCallback) => setImmediate(() => cb(0))) as unknown as typeof requestAnimationFrame
  globalThis.crypto ??= webcrypto as Crypto
}
