import { useServices, useStudio } from '../store/context'
import { acceptStaged, discardStaged, stagedResult, toggleCompare } from '../store/staging'

/** Accept / Discard (and Compare for a repair) on the canvas, where the pending result is: Enter and Esc too. */
export function StagingBar() {
  const { store } = useServices()
  const staged = useStudio(stagedResult)
  const comparing = useStudio((s) => s.repair.compare > 0)
  if (!staged) return null
  return (
    <div className="staging-bar" data-testid="staging-bar" role="toolbar" aria-label="Pending result">
      <span className="muted">{staged === 'repair' ? 'Repaired: keep it as the working photo?' : 'Live composition: keep it?'}</span>
      <button className="primary" data-testid="staging-accept" title="Enter" onClick={() => acceptStaged(store)}>
        Accept
      </button>
      <button data-testid="staging-discard" title="Esc" onClick={() => discardStaged(store)}>
        Discard
      </button>
      {staged === 'repair' && (
        <button data-testid="staging-compare" aria-pressed={comparing} title="Before | after split, or the repair alone" onClick={() => toggleCompare(store)}>
          Compare
        </button>
      )}
    </div>
  )
}
