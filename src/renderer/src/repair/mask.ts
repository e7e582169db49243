/**
 * The repair mask: brush strokes rasterised at model resolution into 0..255 (255 = fully
 * noised, free to move). Strokes, not pixels, are what history records, so undo is exact.
 */
export interface Stroke {
  /** model-pixel coordinates (pixel centres at i + 0.5) */
  points: [number, number][]
  /** brush diameter in model pixels */
  size: number
  /** 0..1: how much noise the brush paints */
  /** the brush's opacity when it was painted: how much of the full noise strength it adds */
  opacity: number
  /** 0..1: share of the radius that fades out */
  softness: number
  erase: boolean
}

export function rasterizeStrokes(strokes: readonly Stroke[], width: number, height: number): Uint8Array {
  const mask = new Float32Array(width * height)
  for (const stroke of strokes) stampStroke(mask, width, height, stroke)
  const out = new Uint8Array(width * height)
  for (let i = 0; i < mask.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, mask[i])) * 255)
  return out
}

function stampStroke(mask: Float32Array, width: number, height: number, stroke: Stroke): void {
  const radius = Math.max(0.5, stroke.size / 2)
  const hard = radius * (1 - Math.min(1, Math.max(0, stroke.softness)))
  // the stroke's coverage: the max of its dabs, so overlapping dabs do not build up
  const coverage = new Float32Array(width * height)
  const dab = (cx: number, cy: number) => {
    const x0 = Math.max(0, Math.floor(cx - radius))
    const x1 = Math.min(width - 1, Math.ceil(cx + radius))
    const y0 = Math.max(0, Math.floor(cy - radius))
    const y1 = Math.min(height - 1, Math.ceil(cy + radius))
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy)
        if (d > radius) continue
        const v = d <= hard ? 1 : (radius - d) / Math.max(1e-6, radius - hard)
        const i = y * width + x
        if (v > coverage[i]) coverage[i] = v
      }
    }
  }
  const points = stroke.points
  if (points.length === 1) dab(points[0][0], points[0][1])
  for (let p = 1; p < points.length; p++) {
    const [ax, ay] = points[p - 1]
    const [bx, by] = points[p]
    const steps = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / 0.25))
    for (let s = 0; s <= steps; s++) dab(ax + ((bx - ax) * s) / steps, ay + ((by - ay) * s) / steps)
  }
  const opacity = Math.min(1, Math.max(0, stroke.opacity))
  for (let i = 0; i < mask.length; i++) {
    const v = coverage[i] * opacity
    if (v === 0) continue
    mask[i] = stroke.erase ? mask[i] * (1 - v) : Math.max(mask[i], v)
  }
}

/** Share of pixels the mask touches at all. */
export function maskCoverage(mask: Uint8Array): number {
  let n = 0
  for (const v of mask) if (v > 0) n++
  return mask.length === 0 ? 0 : n / mask.length
}
