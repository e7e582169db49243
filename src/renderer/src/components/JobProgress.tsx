import { useServices, useStudio } from '../store/context'
import { cancelJob, stopJob } from '../store/job-actions'

/** Steps, an ETA from the pace so far, and cancel. */
export function JobProgress() {
  const { store, client } = useServices()
  const job = useStudio((s) => s.job)
  if (!job) return null
  const elapsed = (performance.now() - job.startedAt) / 1000
  const fraction = job.maxSteps > 0 ? job.step / job.maxSteps : 0
  const eta = job.step > 0 ? (elapsed / job.step) * (job.maxSteps - job.step) : null
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
        {eta !== null && ` · ~${eta < 1 ? '<1' : Math.round(eta)} s left (at most)`}
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
