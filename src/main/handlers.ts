import type { AppInfo } from '../shared/ipc-contract'
import { base64ToBytes } from '../shared/base64'
import { isPng } from '../shared/png-text'
import type { HandlerMap } from './ipc-guard'
import type { EngineSupervisor } from '../engine/hosts/engine-supervisor'
import type { CloseFlush } from './close-flush'

export interface HandlerDeps {
  supervisor: Pick<EngineSupervisor<unknown>, 'connectWindow' | 'restart' | 'current'>
  saveImage(suggestedName: string, bytes: Uint8Array): Promise<{ saved: boolean; path?: string }>
  chooseImportSource(kind: 'model' | 'vae'): Promise<{ path: string | null }>
  appInfo(): AppInfo
  closeFlush: Pick<CloseFlush, 'acknowledge'>
}

/** Main's IPC handlers, free of Electron imports so they run under vitest as they are. */
export function buildHandlers(deps: HandlerDeps): HandlerMap {
  return {
    'app:flushed': ({ request }) => ({ acknowledged: deps.closeFlush.acknowledge(request) }),
    'app:info': () => deps.appInfo(),
    'engine:connect': () => {
      deps.supervisor.connectWindow()
      return { requested: true }
    },
    'engine:restart': () => {
      deps.supervisor.restart()
      return deps.supervisor.current
    },
    'engine:status': () => deps.supervisor.current,
    'file:saveImage': async ({ suggestedName, pngBase64 }) => {
      const bytes = base64ToBytes(pngBase64)
      if (!isPng(bytes)) throw new Error('file:saveImage: the data is not a PNG image')
      return deps.saveImage(suggestedName, bytes)
    },
    'file:chooseImportSource': ({ kind }) => deps.chooseImportSource(kind)
  }
}
