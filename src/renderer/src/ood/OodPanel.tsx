import { useEffect, useMemo, useRef } from 'react'
import { useServices, useStudio } from '../store/context'
import { currentModel } from '../store/studio-store'
import { datasetName, describeScoreKind, formatScore, summarize } from './ood-logic'
import { clearOod, importOodFiles, stopOodImport } from './ood-actions'
import { oodSlice, useOod } from './ood-store'
import { FILE_INPUT_ID, FOLDER_INPUT_ID, openOodPicker } from './OodView'
import './ood.css'
import { CalibrateOwnImages } from './CalibrateOwnImages'

/** The OOD check's parameters side: import, progress, what the flag means, the calibration. */
export function OodPanel() {
  const { store, client } = useServices()
  const ood = oodSlice(store)
  const model = useStudio(currentModel)
  const entries = useOod((s) => s.entries)
  const importing = useOod((s) => s.importing)
  const message = useOod((s) => s.message)
  const summary = useMemo(() => summarize(entries), [entries])
  const folderInput = useRef<HTMLInputElement>(null)
  // React has no typed prop for it; the attribute makes the picker choose a folder
  useEffect(() => {
    folderInput.current?.setAttribute('webkitdirectory', '')
    folderInput.current?.setAttribute('directory', '')
  }, [])
  if (!model) return <div className="panel muted">Waiting for the engine…</div>
  const calibration = model.ood
  const tprPct = calibration ? Math.round(calibration.tpr * 1000) / 10 : null
  const dataset = datasetName(model.provenance, model.title)
  const onFiles = (input: HTMLInputElement) => {
    const files = Array.from(input.files ?? [])
    input.value = ''
    void importOodFiles(ood, client, model, files)
  }

  return (
    <div className="panel ood-panel" data-testid="ood-panel">
      <h2>OOD check</h2>
      <input id={FILE_INPUT_ID} type="file" accept="image/*" multiple hidden data-testid="ood-files" onChange={(e) => onFiles(e.target)} />
      <input id={FOLDER_INPUT_ID} ref={folderInput} type="file" multiple hidden data-testid="ood-folder" onChange={(e) => onFiles(e.target)} />
      <div className="row buttons">
        <button onClick={() => openOodPicker('files')} disabled={importing !== null}>
          Images…
        </button>
        <button onClick={() => openOodPicker('folder')} disabled={importing !== null}>
          Folder…
        </button>
      </div>
      <span className="muted small">or drop files and folders onto the view. Each image is centre-cropped, resized to {model.imageShape[2]}×{model.imageShape[1]} and converted to {model.imageShape[0] === 1 ? 'grayscale' : 'RGB'}: the thumbnails show exactly what is scored.</span>

      {importing && (
        <div className="ood-progress" data-testid="ood-progress">
          <div className="bar">
            <div style={{ width: `${(100 * importing.done) / Math.max(1, importing.total)}%` }} />
          </div>
          <span className="muted small">
            {importing.done} of {importing.total}
          </span>
          <button onClick={() => stopOodImport(ood)}>Stop</button>
        </div>
      )}
      {message && (
        <div className={`ood-message ${message.kind}`} data-testid="ood-message">
          <span>{message.text}</span>
          <button className="icon" aria-label="Dismiss" onClick={() => ood.setState({ message: null })}>
            ×
          </button>
        </div>
      )}

      {entries.length > 0 && (
        <div className="ood-summary" data-testid="ood-summary">
          <div>
            <strong>{summary.scored}</strong>
            <span>scored</span>
          </div>
          {calibration ? (
            <>
              <div className="flagged">
                <strong>{summary.flagged}</strong>
                <span>flagged</span>
              </div>
              <div className="passed">
                <strong>{summary.passed}</strong>
                <span>passed</span>
              </div>
            </>
          ) : null}
          <div className={summary.errors ? 'error' : ''}>
            <strong>{summary.errors}</strong>
            <span>errors</span>
          </div>
        </div>
      )}

      <fieldset className="ood-explain" data-testid="ood-explanation">
        <legend>What the flag means</legend>
        {calibration ? (
          <>
            <p>
              <b className="flag-word">Flagged</b> means the image is <b>outside what the model knows</b>: it does not look like the {dataset} images it was trained on, so what the model makes of it (a repair, a class) deserves
              less trust.
            </p>
            <p>
              The line is drawn so that <b data-testid="ood-tpr">{tprPct}%</b> of real {dataset} test images pass; the other {Math.round((100 - (tprPct ?? 0)) * 10) / 10}% of real images are flagged by mistake. A pass
              is not a guarantee: an unusual image can still land among the typical scores.
            </p>
          </>
        ) : (
          <p data-testid="ood-uncalibrated">
            <b>This model is uncalibrated.</b> Scores are shown (higher = further from the training data), but there is no threshold learned from real images, so nothing is flagged. Compare scores
            with each other, or with images you know belong.
          </p>
        )}
        <p className="muted small">The score is {describeScoreKind(calibration?.score ?? 'grad-rms')}</p>
      </fieldset>

      <fieldset>
        <legend>Calibration</legend>
        <CalibrateOwnImages model={model} />
      </fieldset>

      {calibration && (
        <fieldset>
          <legend>Calibration in use</legend>
          <dl className="ood-facts">
            <dt>fitted on</dt>
            <dd data-testid="ood-calibrated-on">{model.oodCalibratedOn ?? `the model's own calibration${typeof calibration.calibrationImages === 'number' ? ` (${calibration.calibrationImages} images)` : ''}`}</dd>
            <dt>score</dt>
            <dd>{calibration.score}</dd>
            <dt>threshold</dt>
            <dd data-testid="ood-threshold-value">{formatScore(calibration.threshold)}</dd>
            <dt>pass rate</dt>
            <dd>{tprPct}% of real images</dd>
            <dt>quantiles</dt>
            <dd>
              {calibration.quantiles.length}, from {formatScore(Math.min(...calibration.quantiles.map((q) => q[1])))} to {formatScore(Math.max(...calibration.quantiles.map((q) => q[1])))}
            </dd>
          </dl>
        </fieldset>
      )}

      {entries.length > 0 && (
        <button className="link" data-testid="ood-clear" onClick={() => clearOod(ood)}>
          Clear the list
        </button>
      )}
    </div>
  )
}
