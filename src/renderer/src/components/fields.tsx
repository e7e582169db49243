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
