import { fork, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import type { EngineProcess } from './engine-supervisor'
import { hostConfigArg, type HostConfig } from './host-config'

export type NodeEngineProcess = EngineProcess & { readonly child: ChildProcess }

/**
 * The engine host as a plain Node child (browser mode, tests), shaped like Electron's
 * UtilityProcess so the same EngineSupervisor keeps it alive. Connections are multiplexed
 * over the IPC channel; `connect` messages are the caller's business (see engine-host.ts).
 */
export function forkNodeEngine(hostFile: string, config: HostConfig, execArgv: string[] = []): NodeEngineProcess {
  const child = fork(hostFile, [hostConfigArg(config)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const events = new EventEmitter()
  child.on('message', (message) => events.emit('message', message))
  child.on('exit', (code, signal) => events.emit('exit', code ?? signalExitCode(signal)))
  child.on('error', (error) => events.emit('error', error))
  const engine: NodeEngineProcess = {
    child,
    get pid() {
      return child.pid
    },
    postMessage(message: unknown) {
      if (child.connected) child.send(message as object)
    },
    on(event: 'exit' | 'message', listener: (arg: never) => void) {
      events.on(event, listener as (arg: unknown) => void)
      return engine
    },
    kill() {
      return child.kill('SIGKILL')
    }
  }
  return engine
}

function signalExitCode(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGABRT: 6, SIGSEGV: 11 }
  return 128 + (signal ? numbers[signal] ?? 0 : 0)
}
