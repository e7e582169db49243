import './zod-without-eval' // first: before any module builds or runs a schema
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { StudioContext } from './store/context'
import { createStudioStore } from './store/studio-store'
import { EngineClient } from './host/engine-client'
import { detectHost } from './host'
import { loadModels } from './store/generate-actions'
import { restoreAndAutosave } from './session/autosave'
import './styles.css'

const root = createRoot(document.getElementById('root')!)
const host = detectHost()

if ('error' in host) {
  root.render(<p className="fatal">{host.error}</p>)
} else {
  const store = createStudioStore()
  const client = new EngineClient()
  let crash: string | null = null
  host.onStatus((status) => {
    store.setState({ engineStatus: status })
    if (status.state === 'crashed') crash = status.reason ?? 'unknown reason'
    if (status.state === 'ready' && crash !== null) {
      store.setState({ notice: { kind: 'info', text: `The engine crashed (${crash}) and was restarted. Your canvas and gallery are kept; a job that was running must be started again.` } })
      crash = null
    }
    if (status.state === 'crashed' || status.state === 'failed') {
      client.detach(`the engine ${status.state === 'failed' ? 'stopped' : 'crashed'}: ${status.reason ?? 'unknown reason'}`)
    }
  })
  let restored = false
  host.onConnection((connection) => {
    client.attach(connection)
    if (restored) {
      void loadModels(store, client)
      return
    }
    restored = true
    // the saved session first, so the model list keeps the model it names
    void restoreAndAutosave(store, client).then(() => loadModels(store, client))
  })
  root.render(
    <StrictMode>
      <StudioContext.Provider value={{ store, client, host }}>
        <App />
      </StudioContext.Provider>
    </StrictMode>
  )
}
