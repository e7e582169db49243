import { ClassSelect } from '../components/fields'
import { useEffect } from 'react'
import { useServices, useStudio } from '../store/context'
import { QueueHint } from '../components/JobQueue'
import { currentModel } from '../store/studio-store'
import type { SamplerSettings } from '../../../shared/manifest'
import { NumberField, SliderField } from '../components/fields'
import { SamplerFields, samplerSummary } from '../components/SamplerFields'
import { canAddRow, canRemoveRow, clampWeight, describeComposition, nextUnusedClass, toConditions, validateComposition, WEIGHT_MAX, WEIGHT_MIN, type ComposeRow } from './compose-logic'
import { composeSamplerDefaults, composeSlice, nextRowKey, syncComposeModel, useCompose, type ComposeState } from './compose-store'
import { keepPreview, requestLiveCompose, runComparison, runCompose } from './compose-actions'
import './compose.css'
import { COMPOSE, JOB } from '../../../shared/settings'

/** At or under this guidance, a composition with a negative weight kept single-class variety (training/COMPOSE.md). */
const NEGATIVE_WEIGHT_VARIETY_CFG = 1.5

/** Composition: classes with weights whose energies add, the sampler, and the one-click comparison. */
export function ComposePanel() {
  const { store, client } = useServices()
  const model = useStudio(currentModel)
  const busy = useStudio((s) => s.job !== null)
  const state = useCompose((s) => s)
  const preview = useStudio((s) => s.canvasPreview !== null)
  useEffect(() => syncComposeModel(composeSlice(store), model), [store, model])
  useLiveCompose()
  if (!model) return <div className="panel muted">Waiting for the engine…</div>
  if (state.modelId !== model.id) return <div className="panel muted">Loading {model.title}…</div>
  if (model.classes.length < 2) return <div className="panel muted">{model.title} has a single class: there is nothing to compose.</div>

  const set = (patch: Partial<ComposeState>) => composeSlice(store).setState(patch)
  const setSampler = (patch: Partial<SamplerSettings>) => set({ sampler: { ...state.sampler, ...patch } })
  const setRow = (key: number, patch: Partial<ComposeRow>) => set({ rows: state.rows.map((r) => (r.key === key ? { ...r, ...patch } : r)) })
  const addRow = () => {
    const classIndex = nextUnusedClass(state.rows, model.classes.length)
    if (classIndex !== null) set({ rows: [...state.rows, { key: nextRowKey(), classIndex, weight: 1 }] })
  }
  const problem = validateComposition(state.rows, model.classes)

  return (
    <div className="panel compose-panel" data-testid="compose-panel">
      <h2>Compose</h2>
      <p className="muted small">
        Energies add: f = f<sub>∅</sub> + s·Σ w<sub>k</sub>(f<sub>k</sub> − f<sub>∅</sub>). A negative weight pushes away from a class.
      </p>
      <div className="compose-rows">
        {state.rows.map((row, i) => (
          <div className="compose-row" key={row.key} data-testid="compose-row">
            <div className="compose-row-head">
<ClassSelect
                label={`Class ${i + 1}`}
                testId={`compose-class-${i}`}
                classes={model.classes}
                value={row.classIndex}
                isDisabled={(c) => state.rows.some((r) => r.classIndex === c)}
                onChange={(classIndex) => classIndex !== null && setRow(row.key, { classIndex })}
              />
              <input
                type="number"
                className="weight-number"
                aria-label={`Weight of ${model.classes[row.classIndex]}`}
                data-testid={`compose-weight-${i}`}
                value={row.weight}
                min={WEIGHT_MIN}
                max={WEIGHT_MAX}
                step={0.05}
                onChange={(e) => {
                  if (e.target.value !== '' && Number.isFinite(Number(e.target.value))) setRow(row.key, { weight: clampWeight(Number(e.target.value)) })
                }}
              />
              <button className="icon remove" aria-label={`Remove ${model.classes[row.classIndex]}`} title="Remove this class" disabled={!canRemoveRow(state.rows)} onClick={() => set({ rows: state.rows.filter((r) => r.key !== row.key) })}>
                ×
              </button>
            </div>
            <input
              type="range"
              list="compose-weight-ticks"
              className={`weight-slider${row.weight < 0 ? ' negative' : ''}`}
              aria-label={`Weight slider of ${model.classes[row.classIndex]}`}
              data-testid={`compose-slider-${i}`}
              min={WEIGHT_MIN}
              max={WEIGHT_MAX}
              step={0.05}
              value={row.weight}
              onChange={(e) => setRow(row.key, { weight: clampWeight(Number(e.target.value)) })}
            />
          </div>
        ))}
      </div>
      <datalist id="compose-weight-ticks">
        {[-2, -1, 0, 1, 2].map((v) => (
          <option key={v} value={v} />
        ))}
      </datalist>
      <div className="compose-under-rows">
        <button className="link" data-testid="compose-add" disabled={!canAddRow(state.rows, model.classes.length)} onClick={addRow}>
          + Add a class
        </button>
        <span className="compose-formula" data-testid="compose-formula" title="The composition being descended">
          {describeComposition(toConditions(state.rows), model.classes)}
        </span>
      </div>
      <SliderField setting={COMPOSE.cfg} testId="compose-cfg" value={state.sampler.cfg} format={(v) => v.toFixed(2)} onChange={(cfg) => setSampler({ cfg })} />
      {state.rows.some((r) => r.weight < 0) && state.sampler.cfg > NEGATIVE_WEIGHT_VARIETY_CFG && (
        // measured in training/COMPOSE.md ("Variety with a negative weight"): samples narrow, they do not collapse
        <span className="muted small" data-testid="compose-negative-hint">
          A negative weight at this guidance can make the samples more alike; guidance of {NEGATIVE_WEIGHT_VARIETY_CFG} or less keeps the variety of a single class.
        </span>
      )}
      <div className="row compose-count-seed">
        <NumberField setting={JOB.count} label="Count" testId="compose-count" value={state.count} onChange={(count) => set({ count })} />
        <NumberField setting={JOB.seed} testId="compose-seed" value={state.seed} onChange={(seed) => set({ seed, lockSeed: true })} />
        <label className="check" title="Keep this seed for the next run; otherwise each run draws a new one">
          <input type="checkbox" data-testid="compose-lock-seed" checked={state.lockSeed} onChange={(e) => set({ lockSeed: e.target.checked })} />
          lock
        </label>
      </div>
      <details className="compose-sampler">
        <summary data-testid="compose-sampler">Sampler · {samplerSummary(state.sampler)}</summary>
        <fieldset>
          <SamplerFields sampler={state.sampler} defaults={composeSamplerDefaults(model)} presets={model.samplerPresets} onChange={setSampler} showCfg={false} testIdPrefix="compose-" />
        </fieldset>
      </details>
      {problem && (
        <p className="compose-problem" data-testid="compose-problem">
          {problem}
        </p>
      )}
      <label className="check" title="Re-run on every change of classes, weights or guidance, with one seed; results are previews until you keep them">
        <input type="checkbox" data-testid="compose-live" checked={state.live} onChange={(e) => {
            set({ live: e.target.checked })
            if (!e.target.checked) store.setState({ canvasPreview: null })
          }} />
        live result while editing
      </label>
      {preview && (
        <button data-testid="compose-keep" onClick={() => keepPreview(store)} title="Keep the live result: canvas and gallery, with its parameters">
          Keep this result
        </button>
      )}
      <button className="primary" data-testid="compose-run" disabled={problem !== null} onClick={() => void runCompose(store, client)} title="Ctrl+Enter">
        {busy ? 'Queue Compose' : 'Compose'}
      </button>
      <button data-testid="compose-compare" disabled={problem !== null} onClick={() => void runComparison(store, client)} title="Each class alone and the composition, one image each, same seed">
        Compare with each single class
      </button>
      <QueueHint />
    </div>
  )
}

/** In live mode, a change of classes, weights or sampler asks for a new result (debounced). */
function useLiveCompose() {
  const { store, client } = useServices()
  const live = useCompose((s) => s.live)
  const rows = useCompose((s) => s.rows)
  const sampler = useCompose((s) => s.sampler)
  const count = useCompose((s) => s.count)
  useEffect(() => {
    if (!live) return
    const timer = setTimeout(() => requestLiveCompose(store, client), 250)
    return () => clearTimeout(timer)
  }, [live, rows, sampler, count, store, client])
}
