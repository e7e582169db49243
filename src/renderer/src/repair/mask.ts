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

/**
 * One stroke: its coverage at a pixel is the brush's falloff at the pixel's distance from the
 * stroke's path (the same as the max of dabs along it, without sampling the path), computed only
 * over the stroke's bounding box, so a stroke on a full-size photo costs its own area, not the photo's.
 */
function stampStroke(mask: Float32Array, width: number, height: number, stroke: Stroke): void {
  const radius = Math.max(0.5, stroke.size / 2)
  const hard = radius * (1 - Math.min(1, Math.max(0, stroke.softness)))
  const points = stroke.points
  if (points.length === 0) return
  let x0 = Infinity
  let y0 = Infinity
  let x1 = -Infinity
  let y1 = -Infinity
  for (const [px, py] of points) {
    x0 = Math.min(x0, px)
    y0 = Math.min(y0, py)
    x1 = Math.max(x1, px)
    y1 = Math.max(y1, py)
  }
  const bx0 = Math.max(0, Math.floor(x0 - radius))
  const by0 = Math.max(0, Math.floor(y0 - radius))
  const bx1 = Math.min(width - 1, Math.ceil(x1 + radius))
  const by1 = Math.min(height - 1, Math.ceil(y1 + radius))
  if (bx0 > bx1 || by0 > by1) return
  const boxWidth = bx1 - bx0 + 1
  // the stroke's coverage over its box: the max along its path, so overlapping segments do not build up
  const coverage = new Float32Array(boxWidth * (by1 - by0 + 1))
  const segment = (ax: number, ay: number, bx: number, by: number) => {
    const dx = bx - ax
    const dy = by - ay
    const length2 = dx * dx + dy * dy
    const sx0 = Math.max(bx0, Math.floor(Math.min(ax, bx) - radius))
    const sx1 = Math.min(bx1, Math.ceil(Math.max(ax, bx) + radius))
    const sy0 = Math.max(by0, Math.floor(Math.min(ay, by) - radius))
    const sy1 = Math.min(by1, Math.ceil(Math.max(ay, by) + radius))
    for (let y = sy0; y <= sy1; y++) {
      for (let x = sx0; x <= sx1; x++) {
        const cx = x + 0.5 - ax
        const cy = y + 0.5 - ay
        const t = length2 === 0 ? 0 : Math.min(1, Math.max(0, (cx * dx + cy * dy) / length2))
        const d = Math.hypot(cx - t * dx, cy - t * dy)
        if (d > radius) continue
        const v = d <= hard ? 1 : (radius - d) / Math.max(1e-6, radius - hard)
        const i = (y - by0) * boxWidth + (x - bx0)
        if (v > coverage[i]) coverage[i] = v
      }
    }
  }
  if (points.length === 1) segment(points[0][0], points[0][1], points[0][0], points[0][1])
  for (let p = 1; p < points.length; p++) segment(points[p - 1][0], points[p - 1][1], points[p][0], points[p][1])
  const opacity = Math.min(1, Math.max(0, stroke.opacity))
  for (let y = by0; y <= by1; y++) {
    for (let x = bx0; x <= bx1; x++) {
      const v = coverage[(y - by0) * boxWidth + (x - bx0)] * opacity
      if (v === 0) continue
      const i = y * width + x
      mask[i] = stroke.erase ? mask[i] * (1 - v) : Math.max(mask[i], v)
    }
  }
}

/** Share of pixels the mask touches at all. */
export function maskCoverage(mask: Uint8Array): number {
  let n = 0
  for (const v of mask) if (v > 0) n++
  return mask.length === 0 ? 0 : n / mask.length
}
