import { Engine, type EngineSink } from '../engine'
import { readHostConfig } from './host-config'
import type { ClientMessage } from '../../shared/engine-protocol'
import type { EngineToHost, HostToEngine } from '../../shared/process-messages'

/**
 * The engine's process entry. Two parents start it:
 * - Electron main, as a utilityProcess: each window connection arrives as a MessagePort
 *   ({type: 'connect'} with a port), so frames go straight to the window, not through main.
 * - the browser-mode server (and tests), as a Node child: connections are multiplexed over
 *   the IPC channel as {type: 'open' | 'message' | 'close', conn}.
 * onnxruntime's run() blocks this process's thread, which is why it is not main's.
 */
const engine = new Engine(readHostConfig(process.argv))

interface ElectronPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  on(event: 'close', listener: () => void): void
  postMessage(message: unknown): void
  start(): void
}
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown; ports: ElectronPort[] }) => void): void
  postMessage(message: unknown): void
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort

if (parentPort) {
  parentPort.on('message', ({ data, ports }) => {
    if ((data as HostToEngine | undefined)?.type !== 'connect' || !ports?.[0]) return
    const port = ports[0]
    const client: EngineSink = { send: (message) => port.postMessage(message) }
    port.on('message', (event) => engine.receive(client, event.data as ClientMessage))
    port.on('close', () => engine.detach(client))
    port.start()
  })
  parentPort.postMessage({ type: 'ready', pid: process.pid } satisfies EngineToHost)
} else if (process.send) {
  const clients = new Map<number, EngineSink>()
  const sendToParent = process.send.bind(process)
  const send = (message: EngineToHost) => sendToParent(message)
  process.on('message', (raw: HostToEngine) => {
    if (raw.type === 'open') {
      clients.set(raw.conn, { send: (message) => send({ type: 'message', conn: raw.conn, data: message }) })
    } else if (raw.type === 'message') {
      const client = clients.get(raw.conn)
      if (client) engine.receive(client, raw.data)
    } else if (raw.type === 'close') {
      const client = clients.get(raw.conn)
      clients.delete(raw.conn)
      if (client) engine.detach(client)
    }
  })
  // the parent going away must not leave an orphan computing
  process.on('disconnect', () => process.exit(0))
  send({ type: 'ready', pid: process.pid })
} else {
  console.error('engine-host: start me as an Electron utility process or a Node child with IPC')
  process.exit(2)
}
