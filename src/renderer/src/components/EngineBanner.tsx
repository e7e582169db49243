import { useServices, useStudio } from '../store/context'

/** Engine trouble and job messages, with the restart the user may need. The canvas is untouched. */
export function EngineBanner() {
  const { store, host } = useServices()
  const status = useStudio((s) => s.engineStatus)
  const notice = useStudio((s) => s.notice)
  const down = status && (status.state === 'crashed' || status.state === 'failed')
  const gone = status?.state === 'disconnected'
  return (
    <>
      {gone && (
        <div className="banner error" role="alert" data-testid="server-gone" data-token-refused={status.tokenRefused ? 'true' : 'false'}>
          {status.tokenRefused ? 'The server is back with a new address: ' : 'The server is gone: '}
          {status.reason}. Nothing is sent or queued meanwhile; your canvas and gallery are kept.
          {!status.tokenRefused && <button onClick={() => host.restartEngine()}>Check now</button>}
        </div>
      )}
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
