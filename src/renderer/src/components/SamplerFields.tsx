import type { SamplerSettings } from '../../../shared/manifest'
import { NumberField } from './fields'
import { SAMPLER, SAMPLER_METHOD, type SamplerMethod } from '../../../shared/settings'

/**
 * The descent's settings, shared by every tool that samples: method, steps, step size,
 * look-ahead, optionally guidance (with guidance far from equilibrium once its RMS bound is set),
 * and the gradient stop; reset to the model's defaults.
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
  // the clock integrates in exactly Max steps steps: no step size, no stop; its guidance interval is in time
  const clock = sampler.method === 'clock'
  const far = clock ? (sampler.farUntilTime ?? 0) > 0 : (sampler.farUntilRms ?? 0) > 0
  return (
    <>
      <label title={SAMPLER_METHOD.description}>
        {SAMPLER_METHOD.label}
        <select data-testid={id('method')} value={sampler.method} onChange={(e) => onChange({ method: e.target.value as SamplerMethod })}>
          {SAMPLER_METHOD.choices.map((choice) => (
            <option key={choice.value} value={choice.value} title={choice.description}>
              {choice.label}
            </option>
          ))}
        </select>
      </label>
      <NumberField setting={SAMPLER.maxSteps} testId={id('max-steps')} value={sampler.maxSteps} onChange={(maxSteps) => onChange({ maxSteps })} />
      {!clock && <NumberField setting={SAMPLER.stepSize} testId={id('step-size')} value={sampler.stepSize} onChange={(stepSize) => onChange({ stepSize })} />}
      {sampler.method === 'nag' && <NumberField setting={SAMPLER.mu} testId={id('mu')} value={sampler.mu} onChange={(mu) => onChange({ mu })} />}
      {props.showCfg !== false && <NumberField setting={SAMPLER.cfg} testId={id('cfg')} value={sampler.cfg} onChange={(cfg) => onChange({ cfg })} />}
      {props.showCfg !== false && !clock && (
        <NumberField setting={SAMPLER.farUntilRms} testId={id('far-until-rms')} value={sampler.farUntilRms ?? SAMPLER.farUntilRms.default} onChange={(farUntilRms) => onChange({ farUntilRms })} />
      )}
      {props.showCfg !== false && clock && (
        <NumberField setting={SAMPLER.farUntilTime} testId={id('far-until-time')} value={sampler.farUntilTime ?? SAMPLER.farUntilTime.default} onChange={(farUntilTime) => onChange({ farUntilTime })} />
      )}
      {props.showCfg !== false && far && (
        <NumberField setting={SAMPLER.farCfg} testId={id('far-cfg')} value={sampler.farCfg ?? SAMPLER.farCfg.default} onChange={(farCfg) => onChange({ farCfg })} />
      )}
      {!clock && <NumberField setting={SAMPLER.stopGradNorm} testId={id('stop-grad-norm')} value={sampler.stopGradNorm} onChange={(stopGradNorm) => onChange({ stopGradNorm })} />}
      <button className="link" onClick={() => onChange({ farCfg: undefined, farUntilRms: undefined, farUntilTime: undefined, ...props.defaults })}>
        Reset to model defaults
      </button>
    </>
  )
}
