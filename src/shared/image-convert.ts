/**
 * What the model sees: any RGBA picture, centre-cropped to the model's aspect, area-averaged
 * down (or sampled up) to its size, converted to its channels. Shared by the renderer (to
 * show it before a run), the CLI and the tests, so all three see the same pixels.
 */
export interface RgbaImage {
  width: number
  height: number
  /** width * height * 4 bytes */
  data: Uint8Array | Uint8ClampedArray
}

export interface ModelSize {
  channels: number
  width: number
  height: number
}

/**
 * Largest image accepted (pixels), checked on the header before decoding (shared/image-header.ts)
 * and again by the decoder. 64 MP takes every phone photo up to the 50 MP class (8192x6144 is
 * 50.3 MP) at full size, and bounds a decoded image to 256 MB of RGBA.
 */
export const MAX_IMPORT_PIXELS = 64_000_000

export function centreCrop(width: number, height: number, aspect: number): { x: number; y: number; width: number; height: number } {
  if (width / height > aspect) {
    const w = Math.max(1, Math.round(height * aspect))
    return { x: Math.floor((width - w) / 2), y: 0, width: w, height }
  }
  const h = Math.max(1, Math.round(width / aspect))
  return { x: 0, y: Math.floor((height - h) / 2), width, height: h }
}

/** Returns channel-planar bytes (C x H x W). Alpha is composited over black, the datasets' background. */
export function rgbaToModel(image: RgbaImage, size: ModelSize): Uint8Array {
  if (image.data.length !== image.width * image.height * 4) {
    throw new Error(`image data has ${image.data.length} bytes, expected ${image.width * image.height * 4}`)
  }
  const crop = centreCrop(image.width, image.height, size.width / size.height)
  const out = new Uint8Array(size.channels * size.width * size.height)
  const plane = size.width * size.height
  for (let ty = 0; ty < size.height; ty++) {
    const y0 = crop.y + (ty * crop.height) / size.height
    const y1 = crop.y + ((ty + 1) * crop.height) / size.height
    for (let tx = 0; tx < size.width; tx++) {
      const x0 = crop.x + (tx * crop.width) / size.width
      const x1 = crop.x + ((tx + 1) * crop.width) / size.width
      const rgb = areaAverage(image, x0, y0, x1, y1)
      const at = ty * size.width + tx
      if (size.channels === 1) out[at] = Math.round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])
      else for (let c = 0; c < size.channels; c++) out[c * plane + at] = Math.round(rgb[Math.min(c, 2)])
    }
  }
  return out
}

function areaAverage(image: RgbaImage, x0: number, y0: number, x1: number, y1: number): [number, number, number] {
  const sum = [0, 0, 0]
  let total = 0
  const yStart = Math.floor(y0)
  const yEnd = Math.max(yStart + 1, Math.ceil(y1))
  const xStart = Math.floor(x0)
  const xEnd = Math.max(xStart + 1, Math.ceil(x1))
  for (let y = yStart; y < yEnd && y < image.height; y++) {
    const wy = Math.min(y + 1, y1) - Math.max(y, y0) || 1
    for (let x = xStart; x < xEnd && x < image.width; x++) {
      const wx = Math.min(x + 1, x1) - Math.max(x, x0) || 1
      const weight = Math.max(0, wx) * Math.max(0, wy)
      if (weight === 0) continue
      const i = (y * image.width + x) * 4
      const alpha = image.data[i + 3] / 255
      for (let c = 0; c < 3; c++) sum[c] += image.data[i + c] * alpha * weight
      total += weight
    }
  }
  return [sum[0] / total, sum[1] / total, sum[2] / total]
}

/** 8-bit model-space bytes -> model values in valueRange. */
export function bytesToValues(bytes: Uint8Array, range: readonly [number, number]): Float32Array {
  const [low, high] = range
  const out = new Float32Array(bytes.length)
  for (let i = 0; i < bytes.length; i++) out[i] = low + (bytes[i] / 255) * (high - low)
  return out
}

/** Model values -> 8-bit, clamped to valueRange. */
export function valuesToBytes(values: Float32Array, range: readonly [number, number]): Uint8Array {
  const [low, high] = range
  const out = new Uint8Array(values.length)
  const scale = 255 / (high - low)
  for (let i = 0; i < values.length; i++) {
    const v = Math.round((values[i] - low) * scale)
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v
  }
  return out
}

/** Channel-planar model bytes -> RGBA for display. */
export function modelToRgba(bytes: Uint8Array, size: ModelSize): Uint8ClampedArray {
  const plane = size.width * size.height
  const out = new Uint8ClampedArray(plane * 4)
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = bytes[(size.channels === 1 ? 0 : c) * plane + i]
    out[i * 4 + 3] = 255
  }
  return out
}
