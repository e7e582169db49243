import { shortcutHint } from '../shortcuts'

/** Zoom readout and fit, floating over the canvas; wheel zooms, middle/right or Space+drag pans. */
export function CanvasToolbar(props: { zoom: number; onFit(): void; children?: React.ReactNode }) {
  return (
    <div className="canvas-toolbar">
      {props.children}
      <span className="muted" data-testid="canvas-zoom" title="Wheel: zoom · middle/right drag or Space+drag: pan">
        {Math.round(props.zoom * 100)}%
      </span>
      <button onClick={props.onFit} data-testid="fit" title={`Fit (${shortcutHint('Fit the canvas to its content')})`}>
        Fit
      </button>
    </div>
  )
}
