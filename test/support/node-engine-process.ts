import { fork, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { EventEmitter } from 'node:events'
import type { EngineProcess } from '../../src/main/engine-supervisor'
import { hostConfigArg, type HostConfig } from '../../src/main/engine/hosts/host-config'
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

export function forkEngineHost(config: HostConfig): EngineProcess & { child: ChildProcess } {
  const child = fork(join(ROOT, 'src/main/engine/hosts/engine-host.ts'), [hostConfigArg(config)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc']
  })
  const emitter = new EventEmitter()
  child.on('message', (m) => emitter.emit('message', m))
  child.on('exit', (code, signal) => emitter.emit('exit', code ?? (signal === 'SIGKILL' ? 137 : 1)))
  const process = {
    child,
    get pid() {
      return child.pid
    },
    postMessage(message: unknown, transfer?: unknown[]) {
      const port = transfer?.[0]
      if ((message as { type?: string }).type === 'connect' && port instanceof FakePort) port.attach(child, nextConn++)
    },
    on(event: string, listener: (...args: never[]) => void) {
      emitter.on(event, listener as (...args: unknown[]) => void)
      return process
    },
    kill() {
      return child.kill('SIGKILL')
    }
  }
  return process as EngineProcess & { child: ChildProcess }
}
