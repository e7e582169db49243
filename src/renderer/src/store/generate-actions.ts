import type { EngineClient } from '../host/engine-client'
import { EngineCallError } from '../host/engine-client'
import type { JobResult } from '../../../shared/jobs'
import { currentModel, type GalleryItem, type StudioStore } from './studio-store'

/** Ask for models and engine info, and adopt the model's sampler defaults. */
export async function loadModels(store: StudioStore, client: EngineClient): Promise<void> {
  try {
    const [{ models }, info] = await Promise.all([client.call('models.list', {}), client.call('engine.info', {})])
    const state = store.getState()
    const modelId = models.some((m) => m.id === state.modelId) ? state.modelId : models[0]?.id ?? null
    const model = models.find((m) => m.id === modelId)
    store.setState({
      models,
      engineInfo: info,
      modelId,
      generate: model && state.modelId !== modelId ? { ...state.generate, sampler: model.sampler, classIndex: 0 } : state.generate
    })
    if (!model) store.setState({ notice: { kind: 'error', text: 'No usable model was found in the models folder.' } })
  } catch (error) {
    store.setState({ notice: { kind: 'error', text: `Could not list models: ${(error as Error).message}` } })
  }
}

let jobCounter = 0
function newJobId(): string {
  return `job-${Date.now().toString(36)}-${(jobCounter++).toString(36)}`
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]
}

/** Start a generation; frames update the live job, the result lands on the canvas and in the gallery. */
export async function startGenerate(store: StudioStore, client: EngineClient): Promise<void> {
  const state = store.getState()
  const model = currentModel(state)
  if (!model || state.job) return
  const settings = state.generate
  const seed = settings.lockSeed ? settings.seed : randomSeed()
  const jobId = newJobId()
  store.setState({
    generate: { ...settings, seed },
    notice: null,
    job: { jobId, state: 'queued', step: 0, maxSteps: settings.sampler.maxSteps, active: settings.count, count: settings.count, startedAt: performance.now(), preview: null, gradHistory: [] }
  })
  const stopFrames = client.onFrames(jobId, (frame) => {
    const job = store.getState().job
    if (!job || job.jobId !== jobId) return
    store.setState({
      job: { ...job, state: 'running', step: frame.step, maxSteps: frame.maxSteps, active: frame.active, preview: frame.preview, gradHistory: [...job.gradHistory, { step: frame.step, norms: frame.gradNorms }] }
    })
    // acked once painted, so a busy window receives fewer frames instead of a backlog
    requestAnimationFrame(() => client.ack(jobId, frame.seq))
  })
  try {
    const result = await client.call('generate', {
      jobId,
      modelId: model.id,
      seed,
      count: settings.count,
      conditions: [{ classIndex: settings.classIndex, weight: 1 }],
      sampler: settings.sampler,
      previewEvery: 1
    })
    const items = toGalleryItems(result, model.classes)
    store.setState((s) => ({ job: null, canvasImages: items, gallery: [...items, ...s.gallery].slice(0, 500) }))
  } catch (error) {
    const cancelled = error instanceof EngineCallError && error.code === 'cancelled'
    store.setState({ job: null, notice: { kind: cancelled ? 'info' : 'error', text: cancelled ? 'Cancelled. The canvas keeps its last result.' : (error as Error).message } })
  } finally {
    stopFrames()
  }
}

export function cancelJob(store: StudioStore, client: EngineClient): void {
  const job = store.getState().job
  if (job) void client.call('cancel', { jobId: job.jobId })
}

export function toGalleryItems(result: JobResult, classes: string[]): GalleryItem[] {
  const conditions = (result.params.conditions as { classIndex: number; weight: number }[] | undefined) ?? []
  const title = conditions.length === 0 ? 'unconditional' : conditions.map((c) => (conditions.length > 1 ? `${classes[c.classIndex]} ×${c.weight}` : classes[c.classIndex])).join(' + ')
  return result.images.map((image, i) => ({
    id: `${result.jobId}-${i}`,
    png: image.png,
    width: image.width,
    height: image.height,
    title,
    params: { ...result.params, seed: image.seed, count: 1 },
    steps: image.steps,
    gradNorm: image.gradNorm,
    createdAt: Date.now()
  }))
}
