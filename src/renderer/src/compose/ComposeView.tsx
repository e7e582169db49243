import { useEffect } from 'react'
import { useServices, useStudio } from '../store/context'
import { currentModel } from '../store/studio-store'
import { StudioCanvas } from '../canvas/StudioCanvas'
import { pngDataUrl } from '../canvas/pixels'
import { composeSlice, syncComposeModel, useCompose } from './compose-store'
import { closeComparison, currentSignature } from './compose-actions'
import './compose.css'

/** The canvas (live descent, accepted results) with the labelled comparison row under it. */
export function ComposeView() {
  const { store } = useServices()
  const model = useStudio(currentModel)
  const comparison = useCompose((s) => s.comparison)
  const rows = useCompose((s) => s.rows)
  const sampler = useCompose((s) => s.sampler)
  useEffect(() => syncComposeModel(composeSlice(store), model), [store, model])
  // the weights, classes or sampler changed since: the row no longer shows what Compose would make
  const stale = comparison !== null && comparison.state !== 'running' && comparison.signature !== currentSignature({ rows, sampler, seed: comparison.seed })

  return (
    <div className="compose-view">
      <StudioCanvas emptyHint="Choose two or more classes with weights and press Compose (Ctrl+Enter)" />
      {comparison && (
        <section className="comparison" data-testid="comparison" data-state={comparison.state}>
          <div className="comparison-head">
            <strong>Each class alone, then together</strong>
            <span className="muted small">
              seed {comparison.seed} · one image each{comparison.state === 'running' ? ' · descending…' : comparison.state === 'stopped' ? ' · stopped' : ''}
              {stale ? ' · made with earlier settings' : ''}
            </span>
            <span className="spacer" />
            <button className="icon" aria-label="Close the comparison" title="Close" onClick={() => closeComparison(composeSlice(store))}>
              ×
            </button>
          </div>
          <div className="comparison-cells">
            {comparison.cells.map((cell, i) => (
              <figure key={i} className={`comparison-cell ${cell.kind} ${cell.status}`} data-testid="comparison-cell" data-kind={cell.kind} data-status={cell.status}>
                {i > 0 && <span className="op" aria-hidden>{cell.kind === 'composition' ? '→' : ''}</span>}
                <div className="frame">
                  {cell.png ? <img src={pngDataUrl(cell.png)} alt={cell.label} /> : <span className="placeholder">{cell.status === 'running' ? 'descending…' : cell.status === 'skipped' ? 'not run' : 'waiting'}</span>}
                </div>
                <figcaption title={cell.label}>
                  <span className="label">{cell.label}</span>
                  {cell.steps !== undefined && <span className="muted">{cell.steps} steps</span>}
                </figcaption>
              </figure>
            ))}
          </div>
        </section>
      )}
    </div>
  )
}
