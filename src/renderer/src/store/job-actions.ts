import type { EngineClient } from '../host/engine-client'
import { EngineCallError } from '../host/engine-client'
import type { JobResult } from '../../../shared/jobs'
import type { ParamsOf } from '../../../shared/engine-protocol'
import type { PhotoRepairWireResult } from '../../../shared/photo-repair'
import type { SamplerSettings } from '../../../shared/manifest'
import { TOOL_NAMES, type GalleryItem, type LiveJob, type QueuedJob, type StudioState, type StudioStore } from './studio-store'
import { describeConditions } from '../../../shared/condition-format'
import { appendDescentPoint } from './descent-history'

let jobCounter = 0
export function newJobId(): string {
  return `job-${Date.now().toString(36)}-${(jobCounter++).toString(36)}`
}

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]
}

type JobRequest =
  | { method: 'generate'; params: Omit<ParamsOf<'generate'>, 'jobId'> }
  | { method: 'repair'; params: Omit<ParamsOf<'repair'>, 'jobId'> }
  | { method: 'repair.photo'; params: Omit<ParamsOf<'repair.photo'>, 'jobId'> }

type ResultOf<R extends JobRequest> = R['method'] extends 'repair.photo' ? PhotoRepairWireResult : JobResult

/** A queued job's live-view state before its first frame. */
function waitingView(entry: QueuedJob): LiveJob {
  const { jobId, kind, tool, stopGradNorm, onClock, count, maxSteps } = entry
  return { jobId, kind, tool, stopGradNorm, onClock, state: 'queued', step: 0, maxSteps, active: count, count, startedAt: performance.now(), preview: null, gradHistory: [] }
}

/**
 * A job left the queue (done, failed or cancelled). When it was the one in the live view, the
 * next queued job takes the view over (its own frames follow) and, on success, its descent stays plotted.
 */
function settle(state: StudioState, jobId: string, succeeded: boolean): Partial<StudioState> {
  const queue = state.queue.filter((q) => q.jobId !== jobId)
  if (state.job?.jobId !== jobId) return { queue }
  const next = queue[0]
  const { tool, stopGradNorm, onClock, gradHistory } = state.job
  return { queue, job: next ? waitingView(next) : null, ...(succeeded ? { lastDescent: { tool, stopGradNorm, onClock, gradHistory } } : {}) }
}

/** The RMS a job's samples stop at, for the plot's dashed line and the time estimate: none for the clock, which runs all its steps. */
function stopThreshold(sampler: Partial<SamplerSettings> | undefined): number | null {
  return sampler?.method === 'clock' ? null : (sampler?.stopGradNorm ?? null)
}

/**
 * Runs one sampler job with live frames into the staging layer (never into history). It is
 * sent at once: the engine queues it behind this window's other jobs (at most 16; more is
 * refused with a 'busy' error, shown as the notice), and the queue view lists it meanwhile.
 * Returns the result, or null when it was cancelled or failed (the notice says which).
 */
export async function runSamplerJob<R extends JobRequest>(
  store: StudioStore,
  client: EngineClient,
  request: R,
  count: number,
  maxSteps: number,
  options: { quietCancel?: boolean; onSent?: (jobId: string) => void } = {}
): Promise<ResultOf<R> | null> {
  const jobId = newJobId()
  const entry: QueuedJob = { jobId, kind: request.method === 'generate' ? 'generate' : 'repair', tool: store.getState().tool, state: 'queued', count, maxSteps, stopGradNorm: stopThreshold(request.params.sampler), onClock: request.params.sampler?.method === 'clock' }
  store.setState((s) => ({ notice: null, queue: [...s.queue, entry], job: s.job ?? waitingView(entry) }))
  options.onSent?.(jobId)
  const stopFrames = client.onFrames(jobId, (frame) => {
    const state = store.getState()
    // a queued job takes the live view over when its frames start, unless another one is still descending there
    const current = state.job
    if (current && current.jobId !== jobId && current.state === 'running') return
    const job = current && current.jobId === jobId ? current : { ...waitingView(entry), state: 'running' as const }
    store.setState({
      queue: state.queue.map((q) => (q.jobId === jobId && q.state !== 'running' ? { ...q, state: 'running' } : q)),
      job: { ...job, state: 'running', lastFrameAt: performance.now(), step: frame.step, maxSteps: frame.maxSteps, active: frame.active, preview: frame.preview, gradHistory: appendDescentPoint(job.gradHistory, frame) }
    })
    // acked once painted, so a busy window receives fewer frames instead of a backlog
    requestAnimationFrame(() => client.ack(jobId, frame.seq))
  })
  try {
    const result = (await callJob(client, request, jobId)) as ResultOf<R>
    store.setState((s) => settle(s, jobId, true))
    return result
  } catch (error) {
    const cancelled = error instanceof EngineCallError && error.code === 'cancelled'
    const wasLive = store.getState().job?.jobId === jobId
    store.setState((s) => settle(s, jobId, false))
    if (!(cancelled && options.quietCancel)) {
      const text = !cancelled ? (error as Error).message : wasLive ? 'Cancelled. The canvas keeps its last result.' : `Cancelled the queued ${TOOL_NAMES[entry.tool]} job.`
      store.setState({ notice: { kind: cancelled ? 'info' : 'error', text } })
    }
    return null
  } finally {
    stopFrames()
    // the first job loads the model, which is when execution providers are probed
    client.call('engine.info', {}).then((info) => store.setState({ engineInfo: info }), () => undefined)
  }
}

/** Stop-and-keep (as AUTOMATIC1111's Interrupt): the running descent ends now and its samples become results, marked. */
function callJob(client: EngineClient, request: JobRequest, jobId: string): Promise<JobResult | PhotoRepairWireResult> {
  if (request.method === 'generate') return client.call('generate', { ...request.params, jobId })
  if (request.method === 'repair') return client.call('repair', { ...request.params, jobId })
  return client.call('repair.photo', { ...request.params, jobId })
}

export function stopJob(store: StudioStore, client: EngineClient): void {
  const job = store.getState().job
  if (job) void client.call('stop', { jobId: job.jobId })
}

/** Cancels the job in the live view, or the one named (a queued one, from the queue view). */
export function cancelJob(store: StudioStore, client: EngineClient, jobId = store.getState().job?.jobId): void {
  if (jobId) void client.call('cancel', { jobId })
}

/**
 * A job's images as history entries: each PNG goes to the user-data image store first (once
 * per content), and the entry refers to it by name, so the session never carries pixels.
 */
export async function storeResults(client: EngineClient, result: JobResult, classes: string[]): Promise<GalleryItem[]> {
  const { refs } = await client.call('store.put', { blobs: result.images.map((image) => ({ data: image.png, type: 'png' as const })) })
  return galleryEntries(result, refs, classes)
}

/**
 * A job's gallery entries, one per image, in the job's order. They share one creation time: the
 * gallery and a restored session sort newest first (stably), so a job's images keep their order
 * only if no millisecond passes between them.
 */
export function galleryEntries(result: JobResult, refs: readonly string[], classes: string[], createdAt = Date.now()): GalleryItem[] {
  const conditions = result.params.conditions
  const title = result.kind === 'repair' ? `repair${conditions.length ? ` (${describeConditions(conditions, classes)})` : ''}` : describeConditions(conditions, classes)
  return result.images.map((image, i) => ({
    id: `${result.jobId}-${i}`,
    kind: result.kind,
    image: refs[i],
    width: image.width,
    height: image.height,
    title,
    params: { ...result.params, seed: image.seed, count: 1 },
    steps: image.steps,
    gradNorm: image.gradNorm,
    ...(image.stopped === 'stopped-early' ? { stoppedEarly: true } : {}),
    createdAt
  }))
}

/** Accepted results go to the canvas and the gallery: user changes, kept and autosaved. */
export function acceptResults(store: StudioStore, items: GalleryItem[]): void {
  const stopped = items.filter((item) => item.stoppedEarly).length
  store.setState((s) => ({
    canvasImages: items,
    canvasPreview: null,
    gallery: [...items, ...s.gallery],
    ...(stopped > 0 ? { notice: { kind: 'info' as const, text: `Stopped early: ${stopped} image${stopped === 1 ? '' : 's'} kept as ${stopped === 1 ? 'it was' : 'they were'} (marked ⏹ in the history).` } } : {})
  }))
}
