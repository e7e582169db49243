import type { SamplerSettings } from '../../../shared/manifest'
import { NumberField } from './fields'

/**
 * The descent's settings, shared by every tool that samples: method, steps, step size,
 * look-ahead, optionally guidance, and the gradient stop; reset to the model's defaults.
 */
export function SamplerFields(props: {
  sampler: SamplerSettings
  defaults: SamplerSettings
  onChange(patch: Partial<SamplerSettings>): void
  /** omit when the tool shows guidance elsewhere */
  showCfg?: boolean
  testIdPrefix?: string
}) {
  const { sampler, onChange } = props
  const id = (name: string) => `${props.testIdPrefix ?? ''}${name}`
  return (
    <>
      <label>
        Method
        <select value={sampler.method} onChange={(e) => onChange({ method: e.target.value as 'gd' | 'nag' })}>
          <option value="nag">NAG-GD (look-ahead)</option>
          <option value="gd">GD</option>
        </select>
      </label>
      <NumberField label="Max steps" testId={id('max-steps')} value={sampler.maxSteps} min={1} max={5000} step={1} onChange={(maxSteps) => onChange({ maxSteps })} />
      <NumberField label="Step size η" value={sampler.stepSize} min={0.0001} max={10} step={0.005} onChange={(stepSize) => onChange({ stepSize })} />
      {sampler.method === 'nag' && <NumberField label="Look-ahead μ" value={sampler.mu} min={0} max={0.99} step={0.05} onChange={(mu) => onChange({ mu })} />}
      {props.showCfg !== false && <NumberField label="Guidance (CFG)" value={sampler.cfg} min={0} max={20} step={0.25} onChange={(cfg) => onChange({ cfg })} />}
      <NumberField label="Stop at gradient RMS" testId={id('stop-grad-norm')} value={sampler.stopGradNorm} min={0} max={100} step={0.01} onChange={(stopGradNorm) => onChange({ stopGradNorm })} />
      <button className="link" onClick={() => onChange(props.defaults)}>
        Reset to model defaults
      </button>
    </>
  )
}
