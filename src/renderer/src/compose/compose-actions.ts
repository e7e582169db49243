import type { EngineClient } from '../host/engine-client'
import type { Condition } from '../../../shared/jobs'
import { currentModel, type GalleryItem, type StudioStore } from '../store/studio-store'
import { acceptResults, cancelJob, randomSeed, runSamplerJob, storeResults } from '../store/job-actions'
import { clampWeight, comparisonPlan, compositionSignature, toConditions, validateComposition } from './compose-logic'
import { composeSlice, nextRowKey, syncComposeModel, type ComparisonCell, type ComposeStore } from './compose-store'

function prepare(store: StudioStore, compose: ComposeStore) {
  const state = store.getState()
  const model = currentModel(state)
  if (!model) return null
  syncComposeModel(compose, model)
  const settings = compose.getState()
  const problem = validateComposition(settings.rows, model.classes)
  if (problem) {
    store.setState({ notice: { kind: 'error', text: problem, tool: 'compose' } })
    return null
  }
  const seed = settings.lockSeed ? settings.seed : randomSeed()
  compose.setState({ seed })
  return { model, settings, seed }
}

/** The signature a comparison is compared against to tell whether it is stale. */
export function currentSignature(state: { rows: Parameters<typeof compositionSignature>[0]; sampler: unknown; seed: number }): string {
  return compositionSignature(state.rows, [state.sampler, state.seed])
}

/** Compose: one generate job with every row as a condition; live frames on the canvas, results into the gallery. */
export async function runCompose(store: StudioStore, client: EngineClient, compose: ComposeStore = composeSlice(store)): Promise<void> {
  const prepared = prepare(store, compose)
  if (!prepared) return
  const { model, settings, seed } = prepared
  const result = await runSamplerJob(
    store,
    client,
    {
      method: 'generate',
      params: { modelId: model.id, seed, count: settings.count, conditions: toConditions(settings.rows), sampler: settings.sampler, previewEvery: 1 }
    },
    settings.count,
    settings.sampler.maxSteps
  )
  if (result) acceptResults(store, await storeResults(client, result, model.classes))
}


/**
 * Live composition: every change asks for a fresh result. A run already descending with
 * stale settings is cancelled (quietly) and the newest settings run next; results go to the
 * canvas as a preview, outside history, until kept.
 */
export function requestLiveCompose(store: StudioStore, client: EngineClient, compose: ComposeStore = composeSlice(store)): void {
  compose.setState({ liveWanted: true })
  if (compose.getState().livePumping) {
    // only the live loop's own run is stale; jobs other tools queued are left alone
    const liveJobId = compose.getState().liveJobId
    if (liveJobId) cancelJob(store, client, liveJobId)
    return
  }
  // the live preview follows the sliders: it waits for an idle engine rather than queueing behind other work
  if (store.getState().job) return
  void pumpLive(store, client, compose)
}

async function pumpLive(store: StudioStore, client: EngineClient, compose: ComposeStore): Promise<void> {
  compose.setState({ livePumping: true })
  try {
    while (compose.getState().liveWanted && compose.getState().live) {
      compose.setState({ liveWanted: false })
      const model = currentModel(store.getState())
      if (!model || store.getState().job) return
      const settings = compose.getState()
      if (validateComposition(settings.rows, model.classes)) return
      // live runs keep one seed, so what changes on the canvas is the composition alone
      if (!settings.lockSeed) compose.setState({ lockSeed: true })
      const result = await runSamplerJob(
        store,
        client,
        { method: 'generate', params: { modelId: model.id, seed: settings.seed, count: settings.count, conditions: toConditions(settings.rows), sampler: settings.sampler, previewEvery: 1 } },
        settings.count,
        settings.sampler.maxSteps,
        { quietCancel: true, onSent: (liveJobId) => compose.setState({ liveJobId }) }
      )
      compose.setState({ liveJobId: null })
      if (result && !compose.getState().liveWanted) {
        const preview = await storeResults(client, result, model.classes)
        if (!compose.getState().liveWanted) store.setState({ canvasPreview: preview })
      }
    }
  } finally {
    compose.setState({ livePumping: false })
  }
}

/** The live preview becomes a kept result: canvas and gallery. */
export function keepPreview(store: StudioStore): void {
  const preview = store.getState().canvasPreview
  if (preview) acceptResults(store, preview)
}

/**
 * Compare: each class alone, then the composition, one image each with the same seed, one
 * job after another (each descends live on the canvas). The labelled row of results shows
 * what adding the energies did; all of them go to the gallery with their parameters.
 */
export async function runComparison(store: StudioStore, client: EngineClient, compose: ComposeStore = composeSlice(store)): Promise<void> {
  const prepared = prepare(store, compose)
  if (!prepared) return
  const { model, settings, seed } = prepared
  const plan = comparisonPlan(settings.rows, model.classes)
  const cells: ComparisonCell[] = plan.map((p) => ({ ...p, status: 'waiting' }))
  compose.setState({ comparison: { seed, state: 'running', signature: currentSignature({ ...settings, seed }), cells } })
  const setCell = (index: number, patch: Partial<ComparisonCell>) =>
    compose.setState((s) => (s.comparison ? { comparison: { ...s.comparison, cells: s.comparison.cells.map((c, i) => (i === index ? { ...c, ...patch } : c)) } } : {}))

  const token = compose.getState().comparisonRun + 1
  compose.setState({ comparisonRun: token })
  const current = () => token === compose.getState().comparisonRun
  const items: GalleryItem[] = []
  for (let i = 0; i < plan.length; i++) {
    // closed while running: the next jobs are not started
    if (!current()) break
    setCell(i, { status: 'running' })
    const result = await runOne(store, client, model.id, seed, plan[i].conditions, settings.sampler)
    if (!result) {
      if (!current()) break
      compose.setState((s) =>
        s.comparison ? { comparison: { ...s.comparison, state: 'stopped', cells: s.comparison.cells.map((c) => (c.status === 'done' ? c : { ...c, status: 'skipped' })) } } : {}
      )
      if (items.length) acceptResults(store, items)
      return
    }
    const image = result.images[0]
    setCell(i, { status: 'done', png: image.png, steps: image.steps, gradNorm: image.gradNorm })
    items.push(...(await storeResults(client, result, model.classes)).map((item) => (plan[i].kind === 'single' ? { ...item, title: `${item.title} (alone)` } : item)))
  }
  if (current()) compose.setState((s) => (s.comparison ? { comparison: { ...s.comparison, state: 'done' } } : {}))
  if (items.length) acceptResults(store, items)
}

/** Hides the comparison; one still running stops after the job in flight. */
export function closeComparison(compose: ComposeStore): void {
  compose.setState((s) => ({ comparisonRun: s.comparisonRun + 1, comparison: null }))
}

function runOne(store: StudioStore, client: EngineClient, modelId: string, seed: number, conditions: Condition[], sampler: ReturnType<ComposeStore['getState']>['sampler']) {
  return runSamplerJob(store, client, { method: 'generate', params: { modelId, seed, count: 1, conditions, sampler, previewEvery: 1 } }, 1, sampler.maxSteps)
}

/**
 * Puts a composition's parameters (from a gallery item or an opened PNG) back into Compose
 * and switches to it: its classes and weights, its seed (locked), its sampler, one image.
 * Returns false, changing nothing, when the conditions do not fit the current model.
 */
export function loadComposition(
  store: StudioStore,
  params: { conditions: Condition[]; seed: number; sampler: ReturnType<ComposeStore['getState']>['sampler'] },
  compose: ComposeStore = composeSlice(store)
): boolean {
  const model = currentModel(store.getState())
  if (!model || params.conditions.length < 2 || params.conditions.some((c) => c.classIndex >= model.classes.length)) return false
  compose.setState({
    modelId: model.id,
    rows: params.conditions.map((c) => ({ key: nextRowKey(), classIndex: c.classIndex, weight: clampWeight(c.weight) })),
    seed: params.seed,
    lockSeed: true,
    count: 1,
    sampler: params.sampler,
    comparison: null
  })
  store.setState({ tool: 'compose' })
  return true
}
