import type { Frame } from '../../../shared/frames'

/** One frame's point of the descent plot: the step, each sample's gradient RMS, and its energy if the model has one. */
export interface DescentPoint {
  step: number
  norms: number[]
  energies?: number[]
  energyKind?: Frame['energyKind']
}

/**
 * The history with this frame's point added. A last frame with exact energies after 'change'
 * frames (the energy fallen since the start, before the job's one exact pass) carries offsets
 * that put those earlier points on the exact scale, so the plot's energy line is one curve.
 */
export function appendDescentPoint(history: readonly DescentPoint[], frame: Frame): DescentPoint[] {
  const offsets = frame.energyOffsets
  const earlier =
    offsets && offsets.length > 0
      ? history.map((point) =>
          point.energyKind === 'change' && point.energies?.length === offsets.length
            ? { ...point, energies: point.energies.map((e, s) => e + offsets[s]), energyKind: 'estimate' as const }
            : point
        )
      : history
  return [...earlier, { step: frame.step, norms: frame.gradNorms, energies: frame.energies, energyKind: frame.energyKind }]
}
