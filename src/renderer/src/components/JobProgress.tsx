import { useServices, useStudio } from '../store/context'
import { cancelJob, stopJob } from '../store/job-actions'
import { stepsToThreshold } from '../store/eta'

/**
 * Steps, two ETAs (from each sample's gradient-RMS trend against the stop threshold, and the
 * max-steps bound), stop-and-keep and cancel. The bar follows the estimate when there is one.
 */
export function JobProgress() {
  const { store, client } = useServices()
  const job = useStudio((s) => s.job)
  if (!job) return null
  const elapsed = (performance.now() - job.startedAt) / 1000
  const perStep = job.step > 0 ? elapsed / job.step : null
  const bound = perStep !== null ? perStep * (job.maxSteps - job.step) : null
  const stepsLeft = stepsToThreshold(job.gradHistory, job.stopGradNorm, job.maxSteps)
  const estimate = perStep !== null && stepsLeft !== null ? perStep * stepsLeft : null
  const fraction = stepsLeft !== null ? job.step / (job.step + stepsLeft) : job.maxSteps > 0 ? job.step / job.maxSteps : 0
  const seconds = (s: number) => (s < 1 ? '<1' : String(Math.round(s)))
  const lastNorms = job.gradHistory[job.gradHistory.length - 1]?.norms ?? []
  const meanNorm = lastNorms.length ? lastNorms.reduce((a, b) => a + b, 0) / lastNorms.length : null
  return (
    <div className="progress" data-testid="progress">
      <div className="bar">
        <div style={{ width: `${Math.round(fraction * 100)}%` }} />
      </div>
      <span data-testid="progress-text">
        {job.state === 'queued' ? 'queued' : `step ${job.step} / ${job.maxSteps}`} · {job.active} of {job.count} descending
        {meanNorm !== null && ` · |∇E| ${meanNorm.toFixed(3)}`}
        {estimate !== null && <span data-testid="eta-estimate">{` · ~${seconds(estimate)} s left (from the descent)`}</span>}
        {bound !== null && ` · at most ${seconds(bound)} s`}
      </span>
      <button data-testid="stop-keep" disabled={job.state !== 'running'} onClick={() => stopJob(store, client)} title="End the descent now and keep the images as they are (marked as stopped early)">
        Stop &amp; keep
      </button>
      <button data-testid="cancel" onClick={() => cancelJob(store, client)} title="Esc: end the descent and keep nothing">
        Cancel
      </button>
    </div>
  )
}
