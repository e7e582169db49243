import type { DescentSample } from '../sampler'

/**
 * Energies for preview frames without a second network per frame: a first-order path integral
 * along the descent, placed on the exact energy's scale by one exact pass (the anchor: at the end
 * of the job, or after its first frame),
 *   E(x + dx) ~ E(x) + <grad E, dx>,  with grad E ~ the step's guided gradient f
 * (the field is trained to the energy's gradient). The last frame carries exact energies again.
 * Measured against the exact energy by the bench (previews.energyEstimate).
 * Moves the descent did not make (repair's re-noising of held pixels) are left out: snapshot()
 * after them, advance() after each descent update.
 */
export class EnergyEstimate {
  private readonly before: Float32Array[]
  /** per sample, the sum of the changes since construction */
  private readonly accumulated: Float64Array
  private base: Float64Array | null = null

  constructor(samples: readonly DescentSample[]) {
    this.before = samples.map((s) => Float32Array.from(s.x))
    this.accumulated = new Float64Array(samples.length)
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

  /** after a descent update: adds <f, x_now - x_before> per sample; `gradients` as DescentProgress gives them */
  advance(samples: readonly DescentSample[], gradients: readonly Float32Array[]): void {
    samples.forEach((sample, s) => {
      const before = this.before[s]
      const f = gradients[s]
      let change = 0
      for (let i = 0; i < before.length; i++) change += f[i] * (sample.x[i] - before[i])
      this.accumulated[s] += change
      before.set(sample.x)
    })
  }

  /** the states as they are now are the base of the next advance() (after moves the descent did not make) */
  snapshot(samples: readonly DescentSample[]): void {
    samples.forEach((sample, s) => this.before[s].set(sample.x))
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
