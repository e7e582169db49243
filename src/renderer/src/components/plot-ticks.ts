/**
 * Tick labels for the descent plot's narrow axes (44-48 px): short enough to fit, never in
 * scientific notation above 0.01 (toPrecision(2) writes 100 as "1.0e+2", which the axis cut to
 * ")e+2" on a compose descent that started above 100).
 */

/** Energies run to thousands: "-2.4k" fits the narrow right axis where "-2,400" does not. */
export function compactNumber(v: number | null): string {
  if (v == null) return ''
  return Math.abs(v) >= 1000 ? `${Number((v / 1000).toFixed(Math.abs(v) >= 10000 ? 0 : 1))}k` : String(Number(v.toPrecision(3)))
}

/** The gradient RMS axis (log scale, always positive): 0.05, 0.5, 1, 10, 100, 2k; 5e-3 below 0.01. */
export function logAxisTick(v: number | null): string {
  if (v == null) return ''
  if (v >= 1000) return compactNumber(v)
  if (v >= 0.01) return String(Number(v.toPrecision(2)))
  return v.toExponential(0)
}
