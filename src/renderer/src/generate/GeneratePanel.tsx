import { useServices, useStudio } from '../store/context'
import { currentModel, type GenerateSettings } from '../store/studio-store'
import { startGenerate } from '../store/generate-actions'
import type { SamplerSettings } from '../../../shared/manifest'
import { NumberField } from '../components/fields'

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
        <label>
          Method
          <select value={settings.sampler.method} onChange={(e) => setSampler({ method: e.target.value as 'gd' | 'nag' })}>
            <option value="nag">NAG-GD (look-ahead)</option>
            <option value="gd">GD</option>
          </select>
        </label>
        <NumberField label="Max steps" testId="max-steps" value={settings.sampler.maxSteps} min={1} max={5000} step={1} onChange={(maxSteps) => setSampler({ maxSteps })} />
        <NumberField label="Step size η" value={settings.sampler.stepSize} min={0.0001} max={10} step={0.005} onChange={(stepSize) => setSampler({ stepSize })} />
        {settings.sampler.method === 'nag' && <NumberField label="Look-ahead μ" value={settings.sampler.mu} min={0} max={0.99} step={0.05} onChange={(mu) => setSampler({ mu })} />}
        <NumberField label="Guidance (CFG)" value={settings.sampler.cfg} min={0} max={20} step={0.25} onChange={(cfg) => setSampler({ cfg })} />
        <NumberField label="Stop at gradient RMS" testId="stop-grad-norm" value={settings.sampler.stopGradNorm} min={0} max={100} step={0.01} onChange={(stopGradNorm) => setSampler({ stopGradNorm })} />
        <button className="link" onClick={() => set({ sampler: model.sampler })}>
          Reset to model defaults
        </button>
      </fieldset>
      <button className="primary" data-testid="generate" disabled={busy} onClick={() => void startGenerate(store, client)} title="Ctrl+Enter">
        Generate
      </button>
    </div>
  )
}
