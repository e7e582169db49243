/** A live view of a running job, sent at most ~30 per second, the next only after an ack. */
export interface Frame {
  jobId: string
  /** sequence number; the client acks it */
  seq: number
  step: number
  maxSteps: number
  /** per sample, RMS of the guided gradient at its last evaluation */
  gradNorms: number[]
  energies?: number[]
  /**
   * 'exact': the energy network's values; 'estimate': integrated from the gradients since the
   * last exact values; 'change': integrated from the gradients since the start, with no exact
   * value yet (the job's one exact pass comes with its last frame)
   */
  energyKind?: 'exact' | 'estimate' | 'change'
  /**
   * With the last frame's exact energies, after 'change' frames: per sample, what to add to
   * those frames' values to put them on the exact energy's scale
   */
  energyOffsets?: number[]
  /** samples still descending */
  active: number
  preview: PreviewImage
}

/** A grid of all samples, 8-bit, small: display bytes, never the raw tensor. */
export interface PreviewImage {
  width: number
  height: number
  channels: 1 | 3
  columns: number
  rows: number
  tileWidth: number
  tileHeight: number
  /** base64 of width*height*channels bytes, pixel-interleaved */
  data: string
}
