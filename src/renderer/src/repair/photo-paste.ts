/**
 * Full-size photo repair (latent models), the pure parts: the painted box that goes on the wire
 * and the paste of the engine's context square back into the photo. The paste takes the engine's
 * pixels only where the user painted: outside the paint the square holds the photo as the engine
 * decoded it, which may differ by a level from the browser's decode of the same JPEG, so copying
 * the whole square would change pixels the user never touched.
 */

export interface Box {
  x: number
  y: number
  width: number
  height: number
}

/** The smallest box holding every painted pixel (mask > 0), or null when nothing is painted. */
export function paintedBox(mask: Uint8Array, width: number, height: number): Box | null {
  let x0 = width
  let y0 = height
  let x1 = -1
  let y1 = -1
  for (let y = 0; y < height; y++) {
    const row = y * width
    for (let x = 0; x < width; x++) {
      if (mask[row + x] === 0) continue
      if (x < x0) x0 = x
      if (x > x1) x1 = x
      if (y < y0) y0 = y
      y1 = y
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }
}

/** The mask's bytes inside the box, row by row (what 'repair.photo' takes). */
export function cropMask(mask: Uint8Array, width: number, box: Box): Uint8Array {
  const out = new Uint8Array(box.width * box.height)
  for (let row = 0; row < box.height; row++) out.set(mask.subarray((box.y + row) * width + box.x, (box.y + row) * width + box.x + box.width), row * box.width)
  return out
}

/**
 * The photo (channel-planar RGB) with the engine's square (RGBA, rect-sized, pixel-interleaved)
 * pasted at rect where the mask is painted; a new array, the photo is not touched.
 */
export function pastePainted(photo: Uint8Array, width: number, height: number, rect: Box, square: Uint8ClampedArray | Uint8Array, mask: Uint8Array): Uint8Array {
  if (rect.x < 0 || rect.y < 0 || rect.x + rect.width > width || rect.y + rect.height > height) {
    throw new Error(`the repaired square ${rect.width}x${rect.height} at ${rect.x},${rect.y} does not fit the ${width}x${height} photo`)
  }
  if (square.length !== rect.width * rect.height * 4) throw new Error(`the repaired square has ${square.length / 4} pixels, expected ${rect.width}x${rect.height}`)
  const out = photo.slice()
  const plane = width * height
  for (let row = 0; row < rect.height; row++) {
    for (let col = 0; col < rect.width; col++) {
      const i = (rect.y + row) * width + rect.x + col
      if (mask[i] === 0) continue
      const s = (row * rect.width + col) * 4
      for (let c = 0; c < 3; c++) out[c * plane + i] = square[s + c]
    }
  }
  return out
}

/** Interleaved RGBA to channel-planar RGB at the same size (the working photo's layout). */
export function rgbaToPlanarRgb(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Uint8Array {
  const plane = width * height
  const out = new Uint8Array(3 * plane)
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = rgba[i * 4 + c]
  return out
}
