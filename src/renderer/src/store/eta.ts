/** Frames of this many steps back make a sample's trend. */
const TREND_FRAMES = 8

/**
 * Steps left until every sample's gradient RMS falls under the stop threshold, from the
 * descent itself: each sample's log-RMS falls roughly linearly with the step (a geometric
 * approach to the minimum), so a line through its recent frames says when it will cross the
 * threshold. Null when there is no threshold (the run goes to max steps: that bound is exact)
 * or too few frames yet. Never more than the steps left to max steps.
 */
export function stepsToThreshold(history: readonly { step: number; norms: readonly number[] }[], stop: number | null, maxSteps: number): number | null {
  if (!stop || stop <= 0 || history.length < 3) return null
  const now = history[history.length - 1]
  const bound = maxSteps - now.step
  let worst = 0
  for (let i = 0; i < now.norms.length; i++) {
    const last = now.norms[i]
    if (!Number.isFinite(last) || last < stop) continue // stopped already
    const points = history.slice(-TREND_FRAMES).filter((f) => Number.isFinite(f.norms[i]) && f.norms[i] > 0)
    if (points.length < 3) return null
    const xs = points.map((f) => f.step)
    const ys = points.map((f) => Math.log(f.norms[i]))
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length
    const my = ys.reduce((a, b) => a + b, 0) / ys.length
    const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0)
    const slope = sxx > 0 ? xs.reduce((a, x, k) => a + (x - mx) * (ys[k] - my), 0) / sxx : 0
    // flat or rising: this sample will run to max steps
    const left = slope < 0 ? (Math.log(stop) - Math.log(last)) / slope : bound
    worst = Math.max(worst, Math.min(bound, left))
  }
  return Math.ceil(worst)
}
