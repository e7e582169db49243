import type { PreviewImage } from '../../../shared/frames'
import { base64ToBytes, bytesToBase64 } from '../../../shared/base64'
import type { RepairPhoto } from './repair-history'

/**
 * What the user sees of a running repair: the descent inside the painted region, their own
 * photo outside it (blended by the mask's softness). The engine re-noises the held pixels
 * internally each step and restores them at the end, so showing its whole state made the
 * photo look lost. Only for a one-image preview at the photo's size; anything else is shown as is.
 */
export function holdOutsideMask(preview: PreviewImage, photo: RepairPhoto, mask: Uint8Array): PreviewImage {
  if (preview.columns !== 1 || preview.rows !== 1 || preview.width !== photo.width || preview.height !== photo.height) return preview
  const live = base64ToBytes(preview.data)
  const out = new Uint8Array(live.length)
  const plane = photo.width * photo.height
  for (let i = 0; i < plane; i++) {
    const painted = mask[i] / 255
    for (let c = 0; c < preview.channels; c++) {
      const held = photo.bytes[(photo.channels === 1 ? 0 : c) * plane + i]
      out[i * preview.channels + c] = Math.round(painted * live[i * preview.channels + c] + (1 - painted) * held)
    }
  }
  return { ...preview, data: bytesToBase64(out) }
}

/** Compare view: which image a content column shows, left of the divider the photo before the repair. */
export function compareSide(x: number, width: number, compare: number): 'before' | 'after' {
  return x < width * compare ? 'before' : 'after'
}
