import { useServices, useStudio } from './store/context'
import { currentModel, selectTool } from './store/studio-store'
import { useShortcuts } from './shortcuts'
import { useEffect, useLayoutEffect, useRef } from 'react'
import { StagingBar } from './components/StagingBar'
import { StudioCanvas } from './canvas/StudioCanvas'
import { JobProgress } from './components/JobProgress'
import { JobQueue } from './components/JobQueue'
import { DescentPlot } from './components/DescentPlot'
import { Gallery } from './components/Gallery'
import { EngineBanner } from './components/EngineBanner'
import { ReadOnlyBanner } from './components/ReadOnlyBanner'
import { ProviderSelect } from './components/ProviderSelect'
import { CpuPrecisionActive, CpuPrecisionSelect } from './components/CpuPrecisionSelect'
import { ModelSelect, ModelUnavailable } from './components/ModelSelect'
import { TOOLS } from './tools'
import { AddModel } from './models/AddModel'
import { ShortcutsHelp } from './components/ShortcutsHelp'

export function App() {
  const services = useServices()
  const { store } = services
  const model = useStudio(currentModel)
  const info = useStudio((s) => s.engineInfo)
  const status = useStudio((s) => s.engineStatus)
  const toolId = useStudio((s) => s.tool)
  const tool = TOOLS.find((t) => t.id === toolId) ?? TOOLS[0]

  useShortcuts(services)
  // a file dropped anywhere but a drop target must not replace the studio with the file
  useEffect(() => {
    const keep = (e: DragEvent) => e.preventDefault()
    window.addEventListener('dragover', keep)
    window.addEventListener('drop', keep)
    return () => {
      window.removeEventListener('dragover', keep)
      window.removeEventListener('drop', keep)
    }
  }, [])
  // each tool keeps its own place in the side panel
  const toolScroll = useRef<HTMLElement>(null)
  const scrollTops = useRef(new Map<string, number>())
  useLayoutEffect(() => {
    if (toolScroll.current) toolScroll.current.scrollTop = scrollTops.current.get(tool.id) ?? 0
  }, [tool.id])

  const Main = tool.MainView ?? StudioCanvas
  return (
    <div className="studio">
      <header>
        <strong>EqM Studio</strong>
        {/* the model's title is in the model picker; said here only when there is none to pick */}
        {!model && <span className="muted">no model</span>}
        <AddModel />
        <button className="help-button" data-testid="shortcuts-open" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" onClick={() => store.setState({ shortcutsOpen: true })}>
          ?
        </button>
        <span className="spacer" />
        <ModelSelect />
        <ProviderSelect />
        <CpuPrecisionSelect />
        <span className="muted" data-testid="engine-state" data-pid={status?.pid ?? ''}>
          engine {status?.state ?? 'starting'}
          {info ? ` · ${info.active.toUpperCase()} · ` : ''}
          <CpuPrecisionActive />
        </span>
      </header>
      <nav className="tools" aria-label="Tools">
        {TOOLS.map((t) => (
          <button key={t.id} className={`tool${t.id === tool.id ? ' active' : ''}`} aria-pressed={t.id === tool.id} data-testid={`tool-${t.id}`} onClick={() => selectTool(store, t.id)}>
            {t.label}
          </button>
        ))}
      </nav>
      <main>
        <EngineBanner />
        <ReadOnlyBanner />
        <div className="main-view">
          <Main />
          <StagingBar />
        </div>
        {(tool.id === 'generate' || tool.id === 'compose' || tool.id === 'repair') && <DescentPlot />}
        {/* the progress row keeps its place between jobs: the canvas would otherwise grow at a
            job's end and refit its zoom (a live preview at 500% jumped to 600%) */}
        <div className="progress-slot">
          <JobProgress />
        </div>
        <JobQueue />
      </main>
      <aside ref={toolScroll} onScroll={(e) => scrollTops.current.set(tool.id, e.currentTarget.scrollTop)}>
        <ModelUnavailable />
        <tool.Panel />
      </aside>
      <footer>
        <Gallery />
      </footer>
      <ShortcutsHelp />
    </div>
  )
}
