import { useServices, useStudio } from '../store/context'
import { TOOL_NAMES } from '../store/studio-store'
import { cancelJob } from '../store/job-actions'

/**
 * This window's jobs in the engine's order (as ComfyUI's and InvokeAI's queues): the running
 * one first, then those waiting, each with its tool and a cancel of its own. Shown once a
 * second job waits; a single job is the progress bar's alone.
 */
export function JobQueue() {
  const { store, client } = useServices()
  const queue = useStudio((s) => s.queue)
  if (queue.length < 2) return null
  return (
    <ol className="job-queue" data-testid="job-queue" aria-label="Job queue">
      {queue.map((job, i) => (
        <li key={job.jobId} data-testid="job-queue-item" data-tool={job.tool} data-state={job.state} data-position={i + 1}>
          <span className="job-queue-position">{i + 1}</span>
          <span>
            {TOOL_NAMES[job.tool]} · {job.count} image{job.count === 1 ? '' : 's'} · {job.state === 'running' ? 'running' : 'queued'}
          </span>
          <button data-testid="job-queue-cancel" onClick={() => cancelJob(store, client, job.jobId)} title={`Cancel this ${TOOL_NAMES[job.tool]} job only`}>
            Cancel
          </button>
        </li>
      ))}
    </ol>
  )
}

/** Under a run button while other jobs are in the queue: the run is not refused, it waits its turn. */
export function QueueHint() {
  const ahead = useStudio((s) => s.queue.length)
  if (ahead === 0) return null
  return (
    <p className="muted small queue-hint" data-testid="queue-hint">
      {ahead === 1 ? 'A job is running' : `${ahead} jobs are queued or running`}: a new run is queued behind {ahead === 1 ? 'it' : 'them'}.
    </p>
  )
}
