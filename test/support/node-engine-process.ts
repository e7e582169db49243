import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { EventEmitter } from 'node:events'
import type { HostConfig } from '../../src/engine/hosts/host-config'
import { forkNodeEngine, type NodeEngineProcess } from '../../src/engine/hosts/node-engine-process'
import { ROOT } from './paths'

/**
 * Test double for Electron's utilityProcess + MessageChannelMain: the real engine host,
 * forked as a Node child (TypeScript through tsx), with "ports" multiplexed over its IPC.
 */
export class FakePort extends EventEmitter {
  private child: ChildProcess | null = null
  conn = 0
  received: unknown[] = []
  peer: FakePort | null = null

  attach(child: ChildProcess, conn: number): void {
    this.child = child
    this.conn = conn
    child.send({ type: 'open', conn })
    child.on('message', (m: { type: string; conn: number; data: unknown }) => {
      if (m.type === 'message' && m.conn === conn) this.peer?.emit('message', m.data)
    })
  }

  /** window side posts: goes to the engine */
  postMessage(message: unknown): void {
    if (this.peer?.child?.connected) this.peer.child.send({ type: 'message', conn: this.peer.conn, data: message })
  }
}

export function fakeChannel(): { engineEnd: FakePort; windowEnd: FakePort } {
  const engineEnd = new FakePort()
  const windowEnd = new FakePort()
  engineEnd.peer = windowEnd
  windowEnd.peer = engineEnd
  windowEnd.on('message', (m) => windowEnd.received.push(m))
  return { engineEnd, windowEnd }
}

let nextConn = 1

/** The real engine host under tsx, with FakePort connects mapped onto its multiplexed IPC. */
export function forkEngineHost(config: HostConfig): NodeEngineProcess {
  const engine = forkNodeEngine(join(ROOT, 'src/engine/hosts/engine-host.ts'), config, ['--import', 'tsx'])
  const post = engine.postMessage.bind(engine)
  engine.postMessage = (message: unknown, transfer?: unknown[]) => {
    const port = transfer?.[0]
    if ((message as { type?: string }).type === 'connect' && port instanceof FakePort) port.attach(engine.child, nextConn++)
    else post(message)
  }
  return engine
}
