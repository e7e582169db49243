import { useServices, useStudio } from '../store/context'
import { currentModel } from '../store/studio-store'
import { ClassSelect, SeedField, SliderField } from '../components/fields'
import { FileButton } from '../components/FileButton'
import { acceptRepair, clearMask, discardRepair, importPhoto, redoRepair, runRepair, undoRepair, updateRepair } from './repair-actions'
import { maskCoverage, rasterizeStrokes } from './mask'
import { useClassSuggestion } from './use-class-suggestion'

/** From this noise strength on, an unguided repair often leaves grain or drifts in class. */
const GUIDE_HINT_STRENGTH = 0.8

/** Repair (partial denoising): import, paint noise, descend, compare, accept. */
export function RepairPanel() {
  const { store, client } = useServices()
  const model = useStudio(currentModel)
  const repair = useStudio((s) => s.repair)
  const busy = useStudio((s) => s.job !== null)
  const suggestion = useClassSuggestion(client, model, repair.history.document.photo)
  if (!model) return <div className="panel muted">Waiting for the engine…</div>
  const { photo, strokes } = repair.history.document
  const coverage = photo ? maskCoverage(rasterizeStrokes(strokes, photo.width, photo.height)) : 0
  const set = (patch: Partial<typeof repair.settings>) => updateRepair(store, (r) => ({ settings: { ...r.settings, ...patch } }))
  const setBrush = (patch: Partial<typeof repair.brush>) => updateRepair(store, (r) => ({ brush: { ...r.brush, ...patch } }))

  return (
    <div className="panel" data-testid="repair-panel">
      <h2>Repair</h2>
<FileButton accept="image/*" testId="repair-import" onFile={(file) => void importPhoto(store, file)}>
        Import photo…
      </FileButton>
      {photo && (
        <p className="muted small" data-testid="model-view">
          {photo.name}: {photo.originalWidth}×{photo.originalHeight} → centre crop → {photo.width}×{photo.height} {photo.channels === 1 ? 'grayscale' : 'RGB'}. The canvas shows exactly what the model sees.
        </p>
      )}
      <fieldset>
        <legend>Noise brush</legend>
        <div className="segmented">
          <button aria-pressed={repair.brush.mode === 'brush'} data-testid="brush" onClick={() => setBrush({ mode: 'brush' })} title="B">
            Brush
          </button>
          <button aria-pressed={repair.brush.mode === 'eraser'} data-testid="eraser" onClick={() => setBrush({ mode: 'eraser' })} title="E">
            Eraser
          </button>
        </div>
        <SliderField label="Size ([ ])" testId="brush-size" value={repair.brush.size} min={1} max={28} step={1} format={(v) => `${v} px`} onChange={(size) => setBrush({ size })} />
        <SliderField label="Opacity" value={repair.brush.strength} min={0.05} max={1} step={0.05} format={(v) => `${Math.round(v * 100)}%`} onChange={(strength) => setBrush({ strength })} />
        <SliderField label="Soft edge" value={repair.brush.softness} min={0} max={1} step={0.05} format={(v) => `${Math.round(v * 100)}%`} onChange={(softness) => setBrush({ softness })} />
        <div className="row buttons">
          <button onClick={() => undoRepair(store)} disabled={repair.history.undo.length === 0} data-testid="undo" title="Ctrl+Z">
            Undo
          </button>
          <button onClick={() => redoRepair(store)} disabled={repair.history.redo.length === 0} data-testid="redo" title="Ctrl+Shift+Z">
            Redo
          </button>
          <button onClick={() => clearMask(store)} disabled={strokes.length === 0}>
            Clear mask
          </button>
        </div>
        <span className="muted small" data-testid="mask-coverage">
          mask covers {Math.round(coverage * 100)}% of the image
        </span>
      </fieldset>
      <fieldset>
        <legend>Descent</legend>
        <SliderField label="Noise strength s" testId="repair-strength" value={repair.settings.strength} min={0.05} max={1} step={0.05} format={(v) => v.toFixed(2)} onChange={(strength) => set({ strength })} />
        <label className="check">
          <input type="checkbox" checked={repair.settings.holdUnmasked} data-testid="hold-unmasked" onChange={(e) => set({ holdUnmasked: e.target.checked })} />
          hold unpainted pixels fixed
        </label>
        <ClassSelect label="Guide toward class" testId="repair-class" classes={model.classes} value={repair.settings.classIndex} noneLabel="none (let the landscape decide)" onChange={(classIndex) => set({ classIndex })} />
        {repair.settings.classIndex === null && repair.settings.strength >= GUIDE_HINT_STRENGTH && (
          // measured: naming the true class keeps the class more often and looks more real (training/REPAIR.md)
          <span className="muted small" data-testid="guide-hint">
            At this strength, naming the photo&apos;s class usually gives a cleaner repair.
          </span>
        )}
        {suggestion && repair.settings.classIndex !== suggestion.classIndex && (
          <div className="row suggestion" data-testid="class-suggestion">
            <span className="muted small">
              The classifier sees {model.classes[suggestion.classIndex]} ({Math.round(suggestion.probability * 100)}%).
            </span>
            <button data-testid="use-suggestion" onClick={() => set({ classIndex: suggestion.classIndex })}>
              Guide toward {model.classes[suggestion.classIndex]}
            </button>
          </div>
        )}
        <SeedField seed={repair.settings.seed} locked={repair.settings.lockSeed} testIdPrefix="repair-" onChange={set} />
        <span className="muted small">Steps, step size and stop come from the Generate sampler settings.</span>
      </fieldset>
      <button className="primary" data-testid="repair-run" disabled={busy || !photo || coverage === 0} onClick={() => void runRepair(store, client)} title="Ctrl+Enter">
        Repair
      </button>
      {repair.result && (
        <fieldset data-testid="repair-result">
          <legend>Result</legend>
          <SliderField label="Before ⟷ after" testId="compare" value={repair.compare} min={0} max={1} step={0.01} format={(v) => `${Math.round(v * 100)}%`} onChange={(compare) => updateRepair(store, () => ({ compare }))} />
          <div className="row buttons">
            <button className="primary" data-testid="repair-accept" onClick={() => acceptRepair(store)}>
              Accept
            </button>
            <button data-testid="repair-discard" onClick={() => discardRepair(store)}>
              Discard
            </button>
          </div>
        </fieldset>
      )}
    </div>
  )
}
