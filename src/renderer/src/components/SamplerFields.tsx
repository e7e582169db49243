import { samplerForMethod, type SamplerPresets, type SamplerSettings } from '../../../shared/manifest'
import { NumberField } from './fields'
import { SAMPLER, SAMPLER_METHOD, type SamplerMethod } from '../../../shared/settings'

/**
 * The sampler's settings, shared by every tool that samples: method, steps, step size,
 * look-ahead, optionally guidance (with guidance far from equilibrium until its RMS or time bound),
 * and the gradient stop; reset to the model's defaults. Picking another method moves every field to
 * that method's benchmarked setting (samplerForMethod), since one method's steps and guidance are
 * a poor setting for another.
 */
export function SamplerFields(props: {
  sampler: SamplerSettings
  defaults: SamplerSettings
  /** the model's benchmarked setting of each method (ModelInfo.samplerPresets), applied when the method changes */
  presets: SamplerPresets
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
        <select data-testid={id('method')} value={sampler.method} onChange={(e) => onChange(cleared(samplerForMethod(sampler, e.target.value as SamplerMethod, props.defaults, props.presets)))}>
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
      <button className="link" onClick={() => onChange(cleared(props.defaults))}>
        Reset to model defaults
      </button>
    </>
  )
}

/** A whole setting as a patch: the optional fields it leaves out are cleared, not kept from before. */
function cleared(settings: SamplerSettings): Partial<SamplerSettings> {
  return { farCfg: undefined, farUntilRms: undefined, farUntilTime: undefined, ...settings }
}

/** A sampler in a few words, for a folded settings section: the method's name and its steps ("Clock, 13 steps"). */
export function samplerSummary(sampler: SamplerSettings): string {
  const label = SAMPLER_METHOD.choices.find((choice) => choice.value === sampler.method)?.label ?? sampler.method
  return `${label.replace(/ \(.*\)$/, '')}, ${sampler.maxSteps} steps`
}
