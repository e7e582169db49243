import { useServices, useStudio } from '../store/context'
import { currentModel, type GenerateSettings } from '../store/studio-store'
import { startGenerate } from '../store/generate-actions'
import type { SamplerSettings } from '../../../shared/manifest'
import { NumberField } from '../components/fields'
import { SamplerFields } from '../components/SamplerFields'

/** Right-hand parameters for generation, starting from the model's own defaults. */
export function GeneratePanel() {
  const { store, client } = useServices()
  const model = useStudio(currentModel)
  const settings = useStudio((s) => s.generate)
  const busy = useStudio((s) => s.job !== null)
  if (!model) return <div className="panel muted">Waiting for the engine…</div>

  const set = (patch: Partial<GenerateSettings>) => store.setState((s) => ({ generate: { ...s.generate, ...patch } }))
  const setSampler = (patch: Partial<SamplerSettings>) => set({ sampler: { ...settings.sampler, ...patch } })

  return (
    <div className="panel" data-testid="generate-panel">
      <h2>Generate</h2>
      <label>
        Class
        <select data-testid="class-select" value={settings.classIndex} onChange={(e) => set({ classIndex: Number(e.target.value) })}>
          {model.classes.map((name, i) => (
            <option key={name} value={i}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <NumberField label="Count" testId="count" value={settings.count} min={1} max={64} step={1} onChange={(count) => set({ count })} />
      <div className="row">
        <NumberField label="Seed" testId="seed" value={settings.seed} min={0} max={4294967295} step={1} onChange={(seed) => set({ seed, lockSeed: true })} />
        <label className="check" title="Keep this seed for the next run; otherwise each run draws a new one">
          <input type="checkbox" data-testid="lock-seed" checked={settings.lockSeed} onChange={(e) => set({ lockSeed: e.target.checked })} />
          lock
        </label>
      </div>
      <fieldset>
        <legend>Sampler</legend>
        <SamplerFields sampler={settings.sampler} defaults={model.sampler} onChange={setSampler} />
      </fieldset>
      <button className="primary" data-testid="generate" disabled={busy} onClick={() => void startGenerate(store, client)} title="Ctrl+Enter">
        Generate
      </button>
    </div>
  )
}
