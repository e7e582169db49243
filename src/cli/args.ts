import { COMPOSE, type NumberSetting } from '../shared/settings'

/** Turns option text into checked values; every failure names the option and what it got. */
export class UsageError extends Error {}

/** Decimal notation only: JavaScript's Number() would also take "0x10", "0b1", " 16 " and "Infinity". */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/
const WHOLE = /^[+-]?\d+$/

export function number(name: string, text: string | undefined, fallback?: number): number | undefined {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!DECIMAL.test(text) || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${text}"`)
  return value
}

export function integer(name: string, text: string | undefined, min: number, max: number, fallback?: number): number | undefined {
  const parsed = number(name, text, fallback)
  if (text === undefined || parsed === undefined) return parsed
  const value = parsed
  if (!WHOLE.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`)
  }
  return value
}

export function ranged(name: string, text: string | undefined, min: number, max: number): number | undefined {
  const value = number(name, text)
  if (value !== undefined && (value < min || value > max)) throw new UsageError(`--${name} must be between ${min} and ${max}, got "${text}"`)
  return value
}

/** An option bound to a setting of src/shared/settings.ts: its flag, bounds and integer-ness from there. */
export function settingOption(setting: NumberSetting, text: string | undefined): number | undefined {
  const flag = setting.cliFlag ?? setting.label
  return setting.integer ? integer(flag, text, setting.min, setting.max) : ranged(flag, text, setting.min, setting.max)
}

/** A class by index or by name (case-insensitive; a unique prefix is enough). */
export function resolveClass(text: string, classes: readonly string[]): number {
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) {
    const index = Number(trimmed)
    if (index < classes.length) return index
    throw new UsageError(`unknown class ${trimmed}: the model has classes 0-${classes.length - 1}`)
  }
  const lower = trimmed.toLowerCase()
  const exact = classes.findIndex((c) => c.toLowerCase() === lower)
  if (exact >= 0) return exact
  const prefixed = classes.flatMap((c, i) => (c.toLowerCase().startsWith(lower) ? [i] : []))
  if (prefixed.length === 1) return prefixed[0]
  const hint = prefixed.length > 1 ? `ambiguous, it matches ${prefixed.map((i) => classes[i]).join(', ')}` : `known: ${classes.join(', ')}`
  throw new UsageError(`unknown class "${text}" (${hint})`)
}

/** "Sneaker:0.6" -> class and weight; a bare class gets `defaultWeight` (the model's composition weight). */
export function resolveWeightedClass(text: string, classes: readonly string[], defaultWeight = 1): { classIndex: number; weight: number } {
  const at = text.lastIndexOf(':')
  if (at < 0) return { classIndex: resolveClass(text, classes), weight: defaultWeight }
  const weightText = text.slice(at + 1)
  const weight = Number(weightText)
  const { min, max } = COMPOSE.weight
  if (!DECIMAL.test(weightText) || !Number.isFinite(weight) || weight < min || weight > max) throw new UsageError(`--class ${text}: the weight after ":" must be a number from ${min} to ${max}`)
  return { classIndex: resolveClass(text.slice(0, at), classes), weight }
}

export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
}
