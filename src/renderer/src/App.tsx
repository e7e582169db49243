import { useEffect } from 'react'
import { useServices, useStudio } from './store/context'
import { currentModel } from './store/studio-store'
import { cancelJob } from './store/job-actions'
import { StudioCanvas } from './canvas/StudioCanvas'
import { JobProgress } from './components/JobProgress'
import { DescentPlot } from './components/DescentPlot'
import { Gallery } from './components/Gallery'
import { EngineBanner } from './components/EngineBanner'
import { ReadOnlyBanner } from './components/ReadOnlyBanner'
import { ProviderSelect } from './components/ProviderSelect'
import { TOOLS } from './tools'

export function App() {
  const services = useServices()
  const { store, client } = services
  const model = useStudio(currentModel)
  const info = useStudio((s) => s.engineInfo)
  const status = useStudio((s) => s.engineStatus)
  const toolId = useStudio((s) => s.tool)
  const tool = TOOLS.find((t) => t.id === toolId) ?? TOOLS[0]

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault()
        const active = TOOLS.find((t) => t.id === store.getState().tool)
        active?.run?.(services)
      } else if (event.key === 'Escape') cancelJob(store, client)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [services, store, client])

  const Main = tool.MainView ?? StudioCanvas
  return (
    <div className="studio">
      <header>
        <strong>EqM Studio</strong>
        <span className="muted">{model ? model.title : 'no model'}</span>
        <span className="spacer" />
        <ProviderSelect />
        <span className="muted" data-testid="engine-state" data-pid={status?.pid ?? ''}>
          engine {status?.state ?? 'starting'}
          {info ? ` · ${info.active.toUpperCase()}` : ''}
        </span>
      </header>
      <nav className="tools" aria-label="Tools">
        {TOOLS.map((t) => (
          <button key={t.id} className={`tool${t.id === tool.id ? ' active' : ''}`} aria-pressed={t.id === tool.id} data-testid={`tool-${t.id}`} onClick={() => store.setState({ tool: t.id })}>
            {t.label}
          </button>
        ))}
      </nav>
      <main>
        <EngineBanner />
        <ReadOnlyBanner />
        <Main />
        {(tool.id === 'generate' || tool.id === 'compose' || tool.id === 'repair') && <DescentPlot />}
        <JobProgress />
      </main>
      <aside>
        <tool.Panel />
      </aside>
      <footer>
        <Gallery />
      </footer>
    </div>
  )
}
