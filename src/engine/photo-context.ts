/**
 * Repair of a photo at its own size with a model of a fixed size ("only masked" inpainting): a
 * square context around the painted region is cut out, brought to the model's size, repaired,
 * brought back and blended into the photo only where painted, with a feathered edge.
 * Pure geometry and pixel maths here; the job (jobs/photo-repair-job.ts) runs the models.
 */

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** The painted region of a full-size mask (one byte a pixel, 0 = untouched), or null when nothing is painted. */
export function paintedBounds(mask: Uint8Array, width: number, height: number): Rect | null {
  let left = width
  let right = -1
  let top = height
  let bottom = -1
  for (let y = 0; y < height; y++) {
    const row = y * width
    for (let x = 0; x < width; x++) {
      if (mask[row + x] === 0) continue
      if (x < left) left = x
      if (x > right) right = x
      if (y < top) top = y
      bottom = y
    }
  }
  return right < 0 ? null : { x: left, y: top, width: right - left + 1, height: bottom - top + 1 }
}

export interface ContextOptions {
  /** pixels of photo kept around the painted region (and its feather) as context */
  padding: number
  /** side of the square context in photo pixels; 0 = as small as the region and padding allow */
  contextSize: number
  /** the model's image side: the context is never smaller (no upscaling of a tiny region's context) unless the photo is */
  modelSide: number
}

/**
 * A square around the painted region plus padding, at least `contextSize` and the model's side,
 * centred on the region and moved (not cut) to stay inside the photo; a photo smaller than the
 * square gives the largest square that fits.
 */
export function contextRect(region: Rect, photoWidth: number, photoHeight: number, options: ContextOptions): Rect {
  const needed = Math.max(region.width, region.height) + 2 * options.padding
  const side = Math.min(Math.max(needed, options.contextSize, options.modelSide), photoWidth, photoHeight)
  const centreX = region.x + region.width / 2
  const centreY = region.y + region.height / 2
  const clamp = (start: number, limit: number) => Math.min(Math.max(0, Math.round(start)), limit - side)
  return { x: clamp(centreX - side / 2, photoWidth), y: clamp(centreY - side / 2, photoHeight), width: side, height: side }
}

/** The rows and columns of `rect` cut out of a one-byte-a-pixel plane of width `stride`. */
export function cropPlane(plane: Uint8Array, stride: number, rect: Rect): Uint8Array {
  const out = new Uint8Array(rect.width * rect.height)
  for (let y = 0; y < rect.height; y++) out.set(plane.subarray((rect.y + y) * stride + rect.x, (rect.y + y) * stride + rect.x + rect.width), y * rect.width)
  return out
}

/**
 * The blend weight of each pixel of a mask crop, 0..255: the mask itself where painted, and a
 * feather that falls off linearly over `feather` pixels outside it (separable max of a tent, so
 * the painted region is always taken whole and nothing past the feather is touched).
 */
export function featherAlpha(mask: Uint8Array, width: number, height: number, feather: number): Uint8Array {
  if (feather <= 0) return Uint8Array.from(mask)
  const pass = (input: Uint8Array, horizontal: boolean): Uint8Array => {
    const output = new Uint8Array(input.length)
    const lines = horizontal ? height : width
    const length = horizontal ? width : height
    for (let line = 0; line < lines; line++) {
      const at = (i: number) => (horizontal ? line * width + i : i * width + line)
      for (let i = 0; i < length; i++) {
        let best = 0
        for (let d = -feather; d <= feather; d++) {
          const j = i + d
          if (j < 0 || j >= length) continue
          const v = input[at(j)] * (1 - Math.abs(d) / (feather + 1))
          if (v > best) best = v
        }
        output[at(i)] = Math.round(best)
      }
    }
    return output
  }
  const spread = pass(pass(mask, true), false)
  for (let i = 0; i < spread.length; i++) if (mask[i] > spread[i]) spread[i] = mask[i]
  return spread
}

/**
 * Blends a repaired RGB crop (pixel-interleaved, rect-sized) into the RGBA photo in place:
 * out = photo + alpha (repaired - photo). Pixels whose alpha is 0 are not written at all.
 */
export function blendInto(photo: Uint8Array, photoWidth: number, rect: Rect, repairedRgb: Uint8Array, alpha: Uint8Array): void {
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const a = alpha[y * rect.width + x]
      if (a === 0) continue
      const p = ((rect.y + y) * photoWidth + rect.x + x) * 4
      const r = (y * rect.width + x) * 3
      for (let c = 0; c < 3; c++) photo[p + c] = Math.round(photo[p + c] + (a / 255) * (repairedRgb[r + c] - photo[p + c]))
    }
  }
}

/**
 * A model-sized mask plane brought to the latent grid: each latent cell is free as much as the
 * most painted pixel of its block (a cell the paint touches moves; the pixel blend limits the change).
 */
export function maskToLatent(mask: Uint8Array, side: number, downscale: number): Float32Array {
  const cells = side / downscale
  const out = new Float32Array(cells * cells)
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const cell = Math.floor(y / downscale) * cells + Math.floor(x / downscale)
      const v = mask[y * side + x] / 255
      if (v > out[cell]) out[cell] = v
    }
  return out
}
