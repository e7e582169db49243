import { useServices, useStudio } from '../store/context'
import type { EngineInfo } from '../../../shared/engine-protocol'
import { CPU_PRECISION, cpuPrecisionIgnoredOn, type CpuPrecision } from '../../../shared/settings'

/**
 * What the gradient model of `modelId` runs in, in a few words (and why, for the tooltip):
 * "int8 (CPU)", "ignored on CUDA", "fp32: not quantised", or "int8 from the next job" before
 * the model is loaded.
 */
export function describeCpuPrecision(info: EngineInfo, modelId: string | null): { text: string; why: string } {
  const { requested, loaded } = info.cpuPrecision
  const entry = loaded.find((l) => l.modelId === modelId)
  if (entry?.precision === 'int8') return { text: 'int8 (CPU)', why: `${entry.modelId} runs with int8 weights on the CPU.` }
  if (requested === 'fp32') return { text: 'fp32', why: 'The model runs as exported.' }
  if (entry?.reason) return { text: info.active === 'cpu' ? 'fp32: not quantised' : `ignored on ${info.active.toUpperCase()}`, why: entry.reason }
  if (info.active !== 'cpu') return { text: `ignored on ${info.active.toUpperCase()}`, why: cpuPrecisionIgnoredOn(info.active) }
  return { text: 'int8 from the next job', why: 'The model loads in int8 when a job next needs it.' }
}

/** The gradient model's number format on the CPU (settings CPU_PRECISION), switched at runtime, with what is active. */
export function CpuPrecisionSelect() {
  const { store, client } = useServices()
  const info = useStudio((s) => s.engineInfo)
  const modelId = useStudio((s) => s.modelId)
  const busy = useStudio((s) => s.job !== null)
  if (!info) return null
  const choose = async (precision: CpuPrecision) => {
    store.setState({ cpuPrecisionPreference: precision })
    try {
      store.setState({ engineInfo: await client.call('engine.setCpuPrecision', { precision }) })
    } catch (error) {
      store.setState({ notice: { kind: 'error', text: `Could not switch the CPU precision: ${(error as Error).message}` } })
    }
  }
  const active = describeCpuPrecision(info, modelId)
  const title = [CPU_PRECISION.description, ...CPU_PRECISION.choices.map((c) => `${c.label}: ${c.description}`), `Now: ${active.text}. ${active.why}`].join('\n')
  return (
    <label className="provider cpu-precision" title={title}>
      <span className="muted">{CPU_PRECISION.label}</span>
      <select data-testid="cpu-precision" value={info.cpuPrecision.requested} disabled={busy} onChange={(e) => void choose(e.target.value as CpuPrecision)}>
        {CPU_PRECISION.choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
    </label>
  )
}

/** What the current model's gradient runs in, for the engine state beside the provider ("int8 (CPU)", "ignored on CUDA"). */
export function CpuPrecisionActive() {
  const info = useStudio((s) => s.engineInfo)
  const modelId = useStudio((s) => s.modelId)
  if (!info) return null
  const active = describeCpuPrecision(info, modelId)
  return (
    <span data-testid="cpu-precision-active" title={active.why} data-precision={info.cpuPrecision.loaded.find((l) => l.modelId === modelId)?.precision ?? ''}>
      {active.text}
    </span>
  )
}
