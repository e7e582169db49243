import { useServices, useStudio } from '../store/context'
import type { ProviderName } from '../../../shared/engine-protocol'
import { PROVIDER } from '../../../shared/settings'

/** Which execution provider runs the model: auto (fastest that works) or a forced one, with why others are off. */
export function ProviderSelect() {
  const { store, client } = useServices()
  const info = useStudio((s) => s.engineInfo)
  const busy = useStudio((s) => s.job !== null)
  if (!info) return null
  const choose = async (provider: ProviderName | 'auto') => {
    store.setState({ providerPreference: provider })
    try {
      const next = await client.call('engine.setProvider', { provider })
      store.setState({ engineInfo: next })
      if (provider !== 'auto' && next.active !== provider) {
        const reason = next.providers.find((p) => p.name === provider)?.reason ?? 'not available'
        store.setState({ notice: { kind: 'error', text: `${provider.toUpperCase()} cannot run here (${reason}); using ${next.active.toUpperCase()}.` } })
      }
    } catch (error) {
      store.setState({ notice: { kind: 'error', text: `Could not switch the execution provider: ${(error as Error).message}` } })
    }
  }
  const describe = (name: string) => PROVIDER.choices.find((c) => c.value === name)
  const title = [PROVIDER.description, ...info.providers.map((p) => `${describe(p.name)?.label ?? p.name} (${describe(p.name)?.description ?? ''}): ${p.available ? 'works' : p.reason ?? 'off'}`)].join('\n')
  return (
    <label className="provider" title={title}>
      <span className="muted">compute</span>
      <select data-testid="provider" value={info.requested} disabled={busy} onChange={(e) => void choose(e.target.value as ProviderName | 'auto')}>
        <option value="auto">auto ({info.active.toUpperCase()})</option>
        {info.providers.map((p) => (
          <option key={p.name} value={p.name} disabled={!p.available && p.name !== info.requested}>
            {describe(p.name)?.label ?? p.name}
            {p.available ? '' : ' (unavailable)'}
          </option>
        ))}
      </select>
    </label>
  )
}
