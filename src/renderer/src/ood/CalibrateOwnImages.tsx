import { useEffect, useRef, useState } from 'react'
import { useServices } from '../store/context'
import { loadModels } from '../store/generate-actions'
import type { ModelInfo } from '../../../shared/engine-protocol'
import { calibrateOnFiles, calibratingText, resetCalibration, type CalibrationOutcome } from './calibrate-actions'
import { describeScoreKind } from './ood-logic'
import { OOD_SCORE, calibratableScoresOf, type CalibratableOodScore } from '../../../shared/settings'

/**
 * "Calibrate on my images": fits the model's OOD score (or the one picked here) and threshold on
 * a folder of the user's own in-distribution images (a model with no shipped data, such as an imported
 * ImageNet EqM, has nothing else to compare with), or goes back to the model's own.
 */
export function CalibrateOwnImages({ model }: { model: ModelInfo }) {
  const { store, client } = useServices()
  const folderInput = useRef<HTMLInputElement>(null)
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<CalibrationOutcome | null>(null)
  // the score the next calibration fits: the model's current one unless the user picks another
  const scores = calibratableScoresOf(model)
  const current = scores.find((s) => s === model.ood?.score) ?? scores[0]
  const [picked, setPicked] = useState<CalibratableOodScore | null>(null)
  // while a calibration runs (minutes for a large folder with the costlier scores): what it is on and how long it has taken
  const [running, setRunning] = useState<{ count: number; since: number } | null>(null)
  const [now, setNow] = useState(0)
  useEffect(() => {
    if (!running) return
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [running])
  const score = picked && scores.includes(picked) ? picked : current
  useEffect(() => {
    folderInput.current?.setAttribute('webkitdirectory', '')
    folderInput.current?.setAttribute('directory', '')
  }, [])
  const finish = async (result: CalibrationOutcome) => {
    setRunning(null)
    setOutcome(result)
    // the model's calibration and "fitted on" come back with the model list
    await loadModels(store, client)
    setBusy(false)
  }
  const onFiles = (input: HTMLInputElement) => {
    const files = Array.from(input.files ?? [])
    input.value = ''
    setBusy(true)
    setOutcome(null)
    setRunning({ count: files.length, since: Date.now() })
    setNow(Date.now())
    void calibrateOnFiles(client, model, files, undefined, score).then(finish)
  }
  return (
    <div className="ood-calibrate" data-testid="ood-calibrate">
      <input ref={folderInput} type="file" multiple hidden data-testid="ood-calibrate-folder" onChange={(e) => onFiles(e.target)} />
      <label className="ood-calibrate-score" title={describeScoreKind(score)}>
        {OOD_SCORE.label}
        <select data-testid="ood-calibrate-score" disabled={busy} value={score} onChange={(e) => setPicked(e.target.value as CalibratableOodScore)}>
          {scores.map((s) => (
            <option key={s} value={s}>
              {OOD_SCORE.choices.find((c) => c.value === s)?.label ?? s}
            </option>
          ))}
        </select>
      </label>
      <div className="row buttons">
        <button disabled={busy} title="Fit the score and threshold on a folder of images like the ones you will check (kept in your user-data folder)" onClick={() => folderInput.current?.click()}>
          Calibrate on my images…
        </button>
        {model.oodCalibratedOn && (
          <button
            data-testid="ood-calibrate-reset"
            disabled={busy}
            onClick={() => {
              setBusy(true)
              void resetCalibration(client, model).then(finish)
            }}
          >
            Reset to the model’s own
          </button>
        )}
      </div>
      {running && (
        <span className="muted small" data-testid="ood-calibrate-message">
          {calibratingText(running.count, now - running.since)}
        </span>
      )}
      {outcome && (
        <span className={outcome.kind === 'error' ? 'add-model-error small' : 'muted small'} data-testid="ood-calibrate-message">
          {outcome.text}
        </span>
      )}
    </div>
  )
}
