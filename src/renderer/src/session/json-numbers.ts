/**
 * JSON has no NaN, Infinity or -0: JSON.stringify writes null (or 0), and a session written
 * that way came back refused ("gradNorm: expected number, received null"). The session
 * writes such numbers as a tagged object instead and reads them back before validation.
 */
const TAG = '$number'
type Special = 'NaN' | 'Infinity' | '-Infinity' | '-0'
const SPECIAL: Record<Special, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY, '-0': -0 }

function special(value: number): Special | null {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return 'Infinity'
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity'
  if (Object.is(value, -0)) return '-0'
  return null
}

/** A copy of a plain value (objects, arrays, primitives) that JSON keeps exactly. */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'number') {
    const name = special(value)
    return name === null ? value : { [TAG]: name }
  }
  if (Array.isArray(value)) return value.map(toJsonSafe)
  if (typeof value === 'object' && value !== null) {
    // fromEntries defines keys (a "__proto__" key stays data, never a prototype)
    return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined).map(([key, entry]) => [key, toJsonSafe(entry)]))
  }
  return value
}

/** The inverse of toJsonSafe, on parsed JSON. */
export function fromJsonSafe(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonSafe)
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value)
    const tag = (value as Record<string, unknown>)[TAG]
    if (keys.length === 1 && typeof tag === 'string' && tag in SPECIAL) return SPECIAL[tag as Special]
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, fromJsonSafe(entry)]))
  }
  return value
}
