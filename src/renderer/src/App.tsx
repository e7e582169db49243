import { useEffect } from 'react'
import { useServices, useStudio } from './store/context'
import { currentModel } from './store/studio-store'
import { cancelJob, startGenerate } from './store/generate-actions'
import { GeneratePanel } from './generate/GeneratePanel'
import { StudioCanvas } from './canvas/StudioCanvas'
import { JobProgress } from './components/JobProgress'
import { Gallery } from './components/Gallery'
import { EngineBanner } from './components/EngineBanner'

export function App() {
  const { store, client } = useServices()
  const model = useStudio(currentModel)
  const info = useStudio((s) => s.engineInfo)
  const status = useStudio((s) => s.engineStatus)

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault()
        void startGenerate(store, client)
      } else if (event.key === 'Escape') cancelJob(store, client)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [store, client])

  return (
    <div className="studio">
      <header>
        <strong>EqM Studio</strong>
        <span className="muted">{model ? model.title : 'no model'}</span>
        <span className="spacer" />
        <span className="muted" data-testid="engine-state">
          engine {status?.state ?? 'starting'}
          {info ? ` · ${info.active.toUpperCase()}` : ''}
        </span>
      </header>
      <nav className="tools" aria-label="Tools">
        <button className="tool active" aria-pressed="true">
          Generate
        </button>
      </nav>
      <main>
        <EngineBanner />
        <StudioCanvas />
        <JobProgress />
      </main>
      <aside>
        <GeneratePanel />
      </aside>
      <footer>
        <Gallery />
      </footer>
    </div>
  )
}
