import { useServices, useStudio } from '../store/context'
import { QueueHint } from '../components/JobQueue'
import { currentModel, type GenerateSettings } from '../store/studio-store'
import { startGenerate } from '../store/generate-actions'
import type { SamplerSettings } from '../../../shared/manifest'
import { ClassSelect, NumberField, SeedField } from '../components/fields'
import { SamplerFields } from '../components/SamplerFields'
import { JOB } from '../../../shared/settings'

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
      <ClassSelect label="Class" testId="class-select" classes={model.classes} value={settings.classIndex} onChange={(classIndex) => classIndex !== null && set({ classIndex })} />
      <NumberField setting={JOB.count} label="Count" testId="count" value={settings.count} onChange={(count) => set({ count })} />
      <SeedField seed={settings.seed} locked={settings.lockSeed} onChange={set} />
      <fieldset>
        <legend>Sampler</legend>
        <SamplerFields sampler={settings.sampler} defaults={model.sampler} presets={model.samplerPresets} onChange={setSampler} />
      </fieldset>
      <button className="primary" data-testid="generate" onClick={() => void startGenerate(store, client)} title="Ctrl+Enter">
        {busy ? 'Queue Generate' : 'Generate'}
      </button>
      <QueueHint />
    </div>
  )
}
