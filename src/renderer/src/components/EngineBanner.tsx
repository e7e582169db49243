import { useServices, useStudio } from '../store/context'

/** Engine trouble and job messages, with the restart the user may need. The canvas is untouched. */
export function EngineBanner() {
  const { store, host } = useServices()
  const status = useStudio((s) => s.engineStatus)
  const notice = useStudio((s) => s.notice)
  const down = status && (status.state === 'crashed' || status.state === 'failed')
  return (
    <>
      {down && (
        <div className="banner error" role="alert" data-testid="engine-down">
          The engine {status.state === 'failed' ? 'stopped' : 'crashed'}: {status.reason}.{' '}
          {status.state === 'crashed' ? 'Restarting it; your canvas and gallery are kept.' : 'Your canvas and gallery are kept.'}
          <button onClick={() => host.restartEngine()}>Restart engine</button>
        </div>
      )}
      {notice && (
        <div className={`banner ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="notice">
          {notice.text}
          <button className="icon" aria-label="Dismiss" onClick={() => store.setState({ notice: null })}>
            ×
          </button>
        </div>
      )}
    </>
  )
}
