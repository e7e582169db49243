import { useEffect, useState } from 'react'
import { useServices, useStudio } from '../store/context'
import { cancelJob, stopJob } from '../store/job-actions'
import { stepsToThreshold } from '../store/eta'

/** From this many seconds per step the bar also shows how long the current step has run. */
const SLOW_STEP_SECONDS = 2

/**
 * Steps, two ETAs (from each sample's gradient-RMS trend against the stop threshold, and the
 * max-steps bound), stop-and-keep and cancel. The bar follows the estimate when there is one.
 */
export function JobProgress() {
  const { store, client } = useServices()
  const job = useStudio((s) => s.job)
  // a model that takes seconds per step (a latent XL/2 on a CPU) gets a ticking "this step" line
  const [, tick] = useState(0)
  const running = job?.state === 'running'
  useEffect(() => {
    if (!running) return
    const timer = setInterval(() => tick((n) => n + 1), 1000)
    return () => clearInterval(timer)
  }, [running])
  if (!job) return null
  const now = performance.now()
  const perStep = job.step > 0 ? ((job.lastFrameAt ?? now) - job.startedAt) / 1000 / job.step : null
  const inStep = job.state === 'running' ? (now - (job.lastFrameAt ?? job.startedAt)) / 1000 : 0
  const slow = (perStep ?? inStep) >= SLOW_STEP_SECONDS
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
        {job.state === 'queued' ? 'queued' : `step ${job.step} / ${job.maxSteps}`} · {job.onClock ? `${job.count} samples on the clock` : `${job.active} of ${job.count} descending`}
        {meanNorm !== null && ` · |∇E| ${meanNorm.toFixed(3)}`}
        {estimate !== null && <span data-testid="eta-estimate">{` · ~${seconds(estimate)} s left (from the descent)`}</span>}
        {bound !== null && ` · at most ${seconds(bound)} s`}
        {slow && job.state === 'running' && (
          <span data-testid="step-progress">{` · step ${job.step + 1} running ${Math.floor(inStep)} s${perStep !== null ? ` (about ${perStep.toFixed(1)} s per step)` : ''}`}</span>
        )}
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
