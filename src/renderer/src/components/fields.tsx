import { useState } from 'react'
import { clampSetting, JOB, type NumberSetting } from '../../../shared/settings'

/**
 * Small labelled inputs shared by the tool panels, each bound to one setting of
 * src/shared/settings.ts: its label, bounds, step and tooltip come from there. Numbers are
 * clamped into the bounds, never NaN.
 */
interface SettingFieldProps {
  setting: NumberSetting
  value: number
  /** the field's label where the setting's is not the right word here */
  label?: string
  testId?: string
  onChange(value: number): void
}

export function NumberField(props: SettingFieldProps) {
  const { setting } = props
  return (
    <label title={setting.description}>
      {props.label ?? setting.label}
      <input
        type="number"
        data-testid={props.testId}
        value={props.value}
        min={setting.min}
        max={setting.max}
        step={setting.step}
        onChange={(e) => {
          const value = Number(e.target.value)
          if (e.target.value !== '' && Number.isFinite(value)) props.onChange(clampSetting(setting, value))
        }}
      />
    </label>
  )
}

export function SliderField(props: SettingFieldProps & { format?(value: number): string }) {
  const { setting } = props
  return (
    <label title={setting.description}>
      <span className="slider-label">
        {props.label ?? setting.label}
        <span>{props.format ? props.format(props.value) : props.value}</span>
      </span>
      <input type="range" data-testid={props.testId} value={props.value} min={setting.min} max={setting.max} step={setting.step} onChange={(e) => props.onChange(clampSetting(setting, Number(e.target.value)))} />
    </label>
  )
}

/** The seed of the next run and its lock; typing a seed locks it (the user meant that one). */
export function SeedField(props: { seed: number; locked: boolean; testIdPrefix?: string; onChange(patch: { seed?: number; lockSeed?: boolean }): void }) {
  const prefix = props.testIdPrefix ?? ''
  return (
    <div className="row">
      <NumberField setting={JOB.seed} testId={`${prefix}seed`} value={props.seed} onChange={(seed) => props.onChange({ seed, lockSeed: true })} />
      <label className="check" title="Keep this seed for the next run; otherwise each run draws a new one">
        <input type="checkbox" data-testid={`${prefix}lock-seed`} checked={props.locked} onChange={(e) => props.onChange({ lockSeed: e.target.checked })} />
        lock
      </label>
    </div>
  )
}

/** A class picker with the model's names; `noneLabel` adds a "no class" choice (value null). */
export function ClassSelect(props: {
  label: string
  classes: readonly string[]
  value: number | null
  noneLabel?: string
  testId?: string
  /** classes shown but not choosable (compose: those already in another row) */
  isDisabled?(classIndex: number): boolean
  onChange(classIndex: number | null): void
}) {
  // long class lists (ImageNet's 1000) get a search box that narrows the list
  const [query, setQuery] = useState('')
  const searchable = props.classes.length > CLASS_SEARCH_FROM
  const needle = query.trim().toLowerCase()
  const shown = props.classes.map((name, i) => ({ name, i })).filter(({ name, i }) => !needle || i === props.value || name.toLowerCase().includes(needle))
  return (
    <label>
      {props.label}
      {searchable && (
        <input
          type="search"
          data-testid={props.testId ? `${props.testId}-search` : undefined}
          placeholder={`Search ${props.classes.length} classes`}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value)
            const q = e.target.value.trim().toLowerCase()
            const first = q ? props.classes.findIndex((name) => name.toLowerCase().includes(q)) : -1
            if (first >= 0 && !props.isDisabled?.(first)) props.onChange(first)
          }}
        />
      )}
      <select aria-label={props.label || undefined} data-testid={props.testId} value={props.value ?? ''} onChange={(e) => props.onChange(e.target.value === '' ? null : Number(e.target.value))}>
        {props.noneLabel !== undefined && <option value="">{props.noneLabel}</option>}
        {shown.map(({ name, i }) => (
          <option key={i} value={i} disabled={i !== props.value && props.isDisabled?.(i)}>
            {name}
          </option>
        ))}
      </select>
    </label>
  )
}

/** from this many classes on, a class field has a search box */
const CLASS_SEARCH_FROM = 30
