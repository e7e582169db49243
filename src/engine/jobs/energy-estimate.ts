/**
 * Energies for preview frames without a second network per frame: a first-order path integral
 * along the descent, placed on the exact energy's scale by one exact pass (the anchor: at the end
 * of the job, or after its first frame),
 *   E(x + dx) ~ E(x) + <grad E, dx>,  with grad E ~ the guided gradient f each move was made with
 * (the field is trained to the energy's gradient). The samplers add <f, dx> up as they move
 * (DescentProgress.energyChanges; the step graph inside its calls, so a GPU's frames carry the
 * same estimate as the CPU's), and moves they did not make (repair's re-noising of held pixels)
 * are not in it. The last frame carries exact energies again. Measured against the exact energy
 * by the bench (previews.energyEstimate).
 */
export class EnergyEstimate {
  /** per sample, the sum of the changes since construction */
  private readonly accumulated: Float64Array
  private base: Float64Array | null = null

  constructor(samples: number) {
    this.accumulated = new Float64Array(samples)
  }

  get anchored(): boolean {
    return this.base !== null
  }

  /** where the estimate stands now: pass it to anchor() with exact energies of the states of this moment */
  mark(): Float64Array {
    return Float64Array.from(this.accumulated)
  }

  /** exact energies of the states at `at` (a mark(); default now), which may have arrived steps later */
  anchor(exact: readonly number[], at: Float64Array = this.accumulated): void {
    this.base = Float64Array.from(exact, (e, s) => e - at[s])
  }

  /** after sampler moves: adds their per-sample first-order changes (DescentProgress.energyChanges) */
  advance(changes: ArrayLike<number>): void {
    for (let s = 0; s < this.accumulated.length; s++) this.accumulated[s] += changes[s]
  }

  /** per sample, the energy's change since construction (no exact value needed) */
  change(): number[] {
    return Array.from(this.accumulated)
  }

  /** what to add to change() values of any moment to put them on the scale of `exact` (energies of now) */
  offsetsTo(exact: readonly number[]): number[] {
    return exact.map((e, s) => e - this.accumulated[s])
  }

  current(): number[] | undefined {
    const base = this.base
    return base ? Array.from(this.accumulated, (a, s) => base[s] + a) : undefined
  }
}
