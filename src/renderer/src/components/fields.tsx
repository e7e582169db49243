/** Small labelled inputs shared by the tool panels. Numbers are clamped, never NaN. */
export function NumberField(props: { label: string; value: number; min: number; max: number; step: number; testId?: string; onChange(value: number): void }) {
  return (
    <label>
      {props.label}
      <input
        type="number"
        data-testid={props.testId}
        value={props.value}
        min={props.min}
        max={props.max}
        step={props.step}
        onChange={(e) => {
          const value = Number(e.target.value)
          if (e.target.value !== '' && Number.isFinite(value)) props.onChange(Math.min(props.max, Math.max(props.min, value)))
        }}
      />
    </label>
  )
}

export function SliderField(props: { label: string; value: number; min: number; max: number; step: number; testId?: string; format?(value: number): string; onChange(value: number): void }) {
  return (
    <label>
      <span className="slider-label">
        {props.label}
        <span>{props.format ? props.format(props.value) : props.value}</span>
      </span>
      <input type="range" data-testid={props.testId} value={props.value} min={props.min} max={props.max} step={props.step} onChange={(e) => props.onChange(Number(e.target.value))} />
    </label>
  )
}

/** The seed of the next run and its lock; typing a seed locks it (the user meant that one). */
export function SeedField(props: { seed: number; locked: boolean; testIdPrefix?: string; onChange(patch: { seed?: number; lockSeed?: boolean }): void }) {
  const prefix = props.testIdPrefix ?? ''
  return (
    <div className="row">
      <NumberField label="Seed" testId={`${prefix}seed`} value={props.seed} min={0} max={4294967295} step={1} onChange={(seed) => props.onChange({ seed, lockSeed: true })} />
      <label className="check" title="Keep this seed for the next run; otherwise each run draws a new one">
        <input type="checkbox" data-testid={`${prefix}lock-seed`} checked={props.locked} onChange={(e) => props.onChange({ lockSeed: e.target.checked })} />
        lock
      </label>
    </div>
  )
}

/** A class picker with the model's names; `noneLabel` adds a "no class" choice (value null). */
export function ClassSelect(props: { label: string; classes: readonly string[]; value: number | null; noneLabel?: string; testId?: string; onChange(classIndex: number | null): void }) {
  return (
    <label>
      {props.label}
      <select data-testid={props.testId} value={props.value ?? ''} onChange={(e) => props.onChange(e.target.value === '' ? null : Number(e.target.value))}>
        {props.noneLabel !== undefined && <option value="">{props.noneLabel}</option>}
        {props.classes.map((name, i) => (
          <option key={name} value={i}>
            {name}
          </option>
        ))}
      </select>
    </label>
  )
}
