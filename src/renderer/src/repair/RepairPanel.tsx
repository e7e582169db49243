import { useMemo } from 'react'
import { useServices, useStudio } from '../store/context'
import { QueueHint } from '../components/JobQueue'
import { currentModel } from '../store/studio-store'
import { ClassSelect, SeedField, SliderField } from '../components/fields'
import { FileButton } from '../components/FileButton'
import { acceptRepair, clearMask, discardRepair, importPhoto, redoRepair, runRepair, undoRepair, updateRepair } from './repair-actions'
import { maskCoverage, rasterizeStrokes } from './mask'
import { usePhotoReading } from './use-class-suggestion'
import { savePhoto } from './photo-repair-actions'
import { SamplerFields, samplerSummary } from '../components/SamplerFields'
import { REPAIR, VIEW } from '../../../shared/settings'
import type { SamplerSettings } from '../../../shared/manifest'

/** Repair (partial denoising): import, paint noise, descend, compare, accept. */
export function RepairPanel() {
  const { store, client, host } = useServices()
  const model = useStudio(currentModel)
  const repair = useStudio((s) => s.repair)
  const busy = useStudio((s) => s.job !== null)
  const { suggestion, classified, ood } = usePhotoReading(client, model, repair.history.document.photo)
  const { photo, strokes } = repair.history.document
  // once per stroke, not per render: a full-size photo's mask is megapixels
  const coverage = useMemo(() => (photo ? maskCoverage(rasterizeStrokes(strokes, photo.width, photo.height)) : 0), [photo, strokes])
  if (!model) return <div className="panel muted">Waiting for the engine…</div>
  const set = (patch: Partial<typeof repair.settings>) => updateRepair(store, (r) => ({ settings: { ...r.settings, ...patch } }))
  const setBrush = (patch: Partial<typeof repair.brush>) => updateRepair(store, (r) => ({ brush: { ...r.brush, ...patch } }))

  return (
    <div className="panel" data-testid="repair-panel">
      <h2>Repair</h2>
<FileButton accept="image/*" testId="repair-import" onFile={(file) => void importPhoto(store, file)}>
        Import photo…
      </FileButton>
      {photo && !photo.fullSize && (
        <p className="muted small" data-testid="model-view">
          {photo.name}: {photo.originalWidth}×{photo.originalHeight} → centre crop → {photo.width}×{photo.height} {photo.channels === 1 ? 'grayscale' : 'RGB'}. The canvas shows exactly what the model sees.
        </p>
      )}
      {photo?.fullSize && (
        <p className="muted small" data-testid="model-view" data-full-size="true">
          {photo.name}: {photo.width}×{photo.height} at full size (as shown, EXIF orientation applied). {model.title} repairs a square around the paint; only painted pixels change.
          <button data-testid="repair-save-photo" onClick={() => void savePhoto(store, host, photo)} title="The working photo at full size, accepted repairs included">
            Save photo…
          </button>
        </p>
      )}
      {photo && ood?.flagged && (
        // the model only knows its training data: say so before the user paints
        <p className="warning small" role="alert" data-testid="ood-warning">
          This photo is unlike anything {model.title} learned (OOD score {ood.score.toPrecision(3)}
          {ood.percentile !== null ? `, above ${Math.round(ood.percentile * 100)}% of real images` : ''}). The model can only pull painted pixels toward{' '}
          {model.classes.length <= 12 ? model.classes.join(', ') : `its ${model.classes.length} classes`}: a repair will turn the painted region into one of those, not restore what was there.
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
        <SliderField setting={REPAIR.brushSize} label="Size ([ ])" testId="brush-size" value={repair.brush.size} format={(v) => `${v} px`} onChange={(size) => setBrush({ size })} />
        <SliderField setting={REPAIR.brushOpacity} testId="brush-opacity" value={repair.brush.opacity} format={(v) => `${Math.round(v * 100)}%`} onChange={(opacity) => setBrush({ opacity })} />
        <SliderField setting={REPAIR.brushSoftness} testId="brush-softness" value={repair.brush.softness} format={(v) => `${Math.round(v * 100)}%`} onChange={(softness) => setBrush({ softness })} />
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
          {photo && coverage === 0 ? 'paint on the photo where noise should go: Repair changes only that region' : `mask covers ${Math.round(coverage * 100)}% of the image`}
        </span>
      </fieldset>
      <fieldset>
        <legend>Descent</legend>
        <SliderField setting={REPAIR.strength} testId="repair-strength" value={repair.settings.strength} format={(v) => v.toFixed(2)} onChange={(strength) => set({ strength })} />
        <label className="check">
          <input type="checkbox" checked={repair.settings.holdUnmasked} data-testid="hold-unmasked" onChange={(e) => set({ holdUnmasked: e.target.checked })} />
          hold unpainted pixels fixed
        </label>
        <ClassSelect label="Guide toward class" testId="repair-class" classes={model.classes} value={repair.settings.classIndex} noneLabel="none (let the landscape decide)" onChange={(classIndex) => set({ classIndex })} />
        {repair.settings.classIndex === null && repair.settings.strength >= model.studio.repair.guideHintStrength && (
          // measured: naming the true class keeps the class more often and looks more real (training/REPAIR.md)
          <span className="muted small" data-testid="guide-hint">
            At this strength, naming the photo&apos;s class usually gives a cleaner repair.
          </span>
        )}
        {classified && !suggestion && (
          <span className="muted small" data-testid="class-unsure">
            The classifier is unsure what this is ({model.classes[classified.classIndex]}, {Math.round(classified.probability * 100)}%{ood?.flagged ? ', on a photo unlike the model’s data' : ''}), so no class is suggested.
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
      </fieldset>
      <details>
        <summary data-testid="repair-sampler">Sampler · {samplerSummary(repair.settings.sampler)}</summary>
        <fieldset>
          <SamplerFields sampler={repair.settings.sampler} defaults={model.studio.repair.sampler} presets={model.samplerPresets} onChange={(patch: Partial<SamplerSettings>) => set({ sampler: { ...repair.settings.sampler, ...patch } })} testIdPrefix="repair-" />
        </fieldset>
      </details>
      <button className="primary" data-testid="repair-run" disabled={!photo || coverage === 0} onClick={() => void runRepair(store, client)} title={!photo ? 'Import a photo first' : coverage === 0 ? 'Paint noise on the photo first' : 'Ctrl+Enter'}>
        {busy ? 'Queue Repair' : 'Repair'}
      </button>
      <QueueHint />
      {repair.result && (
        <fieldset data-testid="repair-result">
          <legend>Result</legend>
          <SliderField setting={VIEW.compare} testId="compare" value={repair.compare} format={(v) => `${Math.round(v * 100)}%`} onChange={(compare) => updateRepair(store, () => ({ compare }))} />
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
