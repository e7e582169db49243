import './zod-without-eval' // first: before any module builds or runs a schema
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { StudioContext } from './store/context'
import { createStudioStore } from './store/studio-store'
import { EngineClient } from './host/engine-client'
import { detectHost } from './host'
import { loadModels } from './store/generate-actions'
import { restoreAndAutosave, type Autosave } from './session/autosave'
import { createStoredImages } from './history/stored-images'
import './styles.css'

const root = createRoot(document.getElementById('root')!)
const host = detectHost()

if ('error' in host) {
  root.render(<p className="fatal">{host.error}</p>)
} else {
  const store = createStudioStore()
  const client = new EngineClient()
  const images = createStoredImages(client, host.mode === 'web' ? new URLSearchParams(location.search).get('token') : null)
  let crash: string | null = null
  let serverLost = false
  host.onStatus((status) => {
    store.setState({ engineStatus: status })
    if (status.state === 'crashed') crash = status.reason ?? 'unknown reason'
    if (status.state === 'disconnected') serverLost = true
    if (status.state === 'ready' && serverLost) {
      store.setState({ notice: { kind: 'info', text: 'Reconnected to the browser-mode server. Your canvas and gallery are kept; a job that was running when it went away must be started again.' } })
      serverLost = false
      crash = null
    } else if (status.state === 'ready' && crash !== null) {
      store.setState({ notice: { kind: 'info', text: `The engine crashed (${crash}) and was restarted. Your canvas and gallery are kept; a job that was running must be started again.` } })
      crash = null
    }
    if (status.state === 'crashed') client.detach(`the engine crashed: ${status.reason ?? 'unknown reason'}`)
    // nothing will answer until the user acts (failed) or the server returns (disconnected): fail calls now
    if (status.state === 'failed') client.disconnect(`the engine stopped: ${status.reason ?? 'unknown reason'}; press Restart engine`)
    if (status.state === 'disconnected') client.disconnect(status.reason ?? 'the browser-mode server is not reachable')
  })
  let autosave: Autosave | null = null
  // desktop: the window closes (or the app quits) only after this; before the restore there is nothing to save
  host.onBeforeClose(async () => void (await autosave?.saveBeforeClose()))
  let restored = false
  host.onConnection((connection) => {
    client.attach(connection)
    if (restored) {
      void loadModels(store, client)
      return
    }
    restored = true
    // the saved session first, so the model list keeps the model it names
    void restoreAndAutosave(store, client).then((started) => {
      autosave = started
      return loadModels(store, client)
    })
  })
  root.render(
    <StrictMode>
      <StudioContext.Provider value={{ store, client, host, images }}>
        <App />
      </StudioContext.Provider>
    </StrictMode>
  )
}
