import type { EngineClient } from '../host/engine-client'
import type { ModelInfo, ModelProblem } from '../../../shared/engine-protocol'
import { currentModel, type StudioStore } from './studio-store'
import { acceptResults, randomSeed, runSamplerJob, storeResults } from './job-actions'

/** Ask for models and engine info, and adopt a newly chosen model's sampler and repair defaults. */
export async function loadModels(store: StudioStore, client: EngineClient): Promise<void> {
  try {
    const preference = store.getState().providerPreference
    const [{ models, problems }, providerInfo] = await Promise.all([
      client.call('models.list', {}),
      preference === 'auto' ? client.call('engine.info', {}) : client.call('engine.setProvider', { provider: preference })
    ])
    // the user's CPU precision, re-applied to a (re)started engine once the provider is settled
    const precision = store.getState().cpuPrecisionPreference
    const info = precision !== null && providerInfo.cpuPrecision.requested !== precision ? await client.call('engine.setCpuPrecision', { precision }) : providerInfo
    const state = store.getState()
    // a model that cannot run (e.g. a latent model whose VAE is not imported) is not picked by default
    const modelId = models.some((m) => m.id === state.modelId) ? state.modelId : (models.find((m) => !m.unavailable) ?? models[0])?.id ?? null
    const model = models.find((m) => m.id === modelId)
    store.setState({ models, engineInfo: info, modelId, ...(model && state.modelId !== modelId ? modelDefaults(state, model) : {}) })
    const why = describeModelProblems(problems)
    if (!model) store.setState({ notice: { kind: 'error', text: `No usable model was found in the models folder.${why ? ` ${why}` : ''}` } })
    else if (why) store.setState({ notice: { kind: 'info', text: why } })
  } catch (error) {
    store.setState({ notice: { kind: 'error', text: `Could not list models: ${(error as Error).message}` } })
  }
}

/** A newly chosen model's sampler, class and repair defaults. */
export function modelDefaults(state: ReturnType<StudioStore['getState']>, model: ModelInfo) {
  return {
    generate: { ...state.generate, sampler: model.sampler, classIndex: 0 },
    repair: {
      ...state.repair,
      settings: { ...state.repair.settings, strength: model.studio.repair.strength, holdUnmasked: model.studio.repair.holdUnmasked, sampler: model.studio.repair.sampler, classIndex: null }
    }
  }
}

/** Switches the studio to another listed model, taking its defaults. */
export function switchModel(store: StudioStore, modelId: string): void {
  const state = store.getState()
  const model = state.models.find((m) => m.id === modelId)
  if (!model || state.modelId === modelId) return
  store.setState({ modelId, ...modelDefaults(state, model) })
}

/** Model folders the engine could not load, each with its reason, as one line for the banner. */
export function describeModelProblems(problems: readonly ModelProblem[]): string {
  if (problems.length === 0) return ''
  const listed = problems.map((p) => `${p.folder.split(/[\\/]/).pop()}: ${p.message}`).join('; ')
  return `${problems.length === 1 ? 'One model folder was' : `${problems.length} model folders were`} not loaded (${listed}).`
}

/** Start (or queue, behind a running job) a generation; frames update the live job, the result lands on the canvas and in the gallery. */
export async function startGenerate(store: StudioStore, client: EngineClient): Promise<void> {
  const state = store.getState()
  const model = currentModel(state)
  if (!model) return
  const settings = state.generate
  const seed = settings.lockSeed ? settings.seed : randomSeed()
  store.setState({ generate: { ...settings, seed } })
  const result = await runSamplerJob(
    store,
    client,
    {
      method: 'generate',
      params: { modelId: model.id, seed, count: settings.count, conditions: [{ classIndex: settings.classIndex, weight: 1 }], sampler: settings.sampler, previewEvery: 1 }
    },
    settings.count,
    settings.sampler.maxSteps
  )
  if (result) acceptResults(store, await storeResults(client, result, model.classes))
}
