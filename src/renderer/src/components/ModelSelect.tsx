import { useServices, useStudio } from '../store/context'
import { currentModel } from '../store/studio-store'
import { switchModel } from '../store/generate-actions'

/**
 * Which model the studio runs. A model that cannot run (a latent model whose VAE is not imported)
 * stays listed and selectable, marked, and says what to do when chosen.
 */
export function ModelSelect() {
  const { store } = useServices()
  const models = useStudio((s) => s.models)
  const model = useStudio(currentModel)
  const busy = useStudio((s) => s.job !== null)
  if (models.length === 0) return null
  return (
    <label className="model-select" title={model?.unavailable ?? model?.title}>
      <span className="muted">model</span>
      <select data-testid="model-select" value={model?.id ?? ''} disabled={busy} onChange={(e) => switchModel(store, e.target.value)}>
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.title}
            {m.space === 'latent' ? ` · ${m.imageShape[2]}x${m.imageShape[1]}` : ''}
            {m.unavailable ? ' (cannot run)' : ''}
          </option>
        ))}
      </select>
    </label>
  )
}

/** The chosen model's reason it cannot run, shown above the tool's panel. */
export function ModelUnavailable() {
  const model = useStudio(currentModel)
  if (!model?.unavailable) return null
  return (
    <div className="panel notice error" data-testid="model-unavailable">
      <strong>{model.title} cannot run here.</strong> {model.unavailable[0].toUpperCase() + model.unavailable.slice(1)}.
    </div>
  )
}
