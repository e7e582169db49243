import type { DescentSample } from '../sampler'

/**
 * Energies for preview frames without a second network per frame: the exact energy once (the
 * anchor, after the first frame), then a first-order path integral along the descent,
 *   E(x + dx) ~ E(x) + <grad E, dx>,  with grad E ~ the step's guided gradient f
 * (the field is trained to the energy's gradient). The last frame carries exact energies again.
 * Measured against the exact energy by the bench (previews.energyEstimate).
 * Moves the descent did not make (repair's re-noising of held pixels) are left out: snapshot()
 * after them, advance() after each descent update.
 */
export class EnergyEstimate {
  private readonly before: Float32Array[]
  private values: Float64Array | null = null

  constructor(samples: readonly DescentSample[]) {
    this.before = samples.map((s) => Float32Array.from(s.x))
  }

  get anchored(): boolean {
    return this.values !== null
  }

  /** exact energies of the samples' current states */
  anchor(exact: readonly number[]): void {
    this.values = Float64Array.from(exact)
  }

  /** after a descent update: adds <f, x_now - x_before> per sample; `gradients` as DescentProgress gives them */
  advance(samples: readonly DescentSample[], gradients: readonly Float32Array[]): void {
    samples.forEach((sample, s) => {
      const before = this.before[s]
      const f = gradients[s]
      let change = 0
      for (let i = 0; i < before.length; i++) change += f[i] * (sample.x[i] - before[i])
      if (this.values) this.values[s] += change
      before.set(sample.x)
    })
  }

  /** the states as they are now are the base of the next advance() (after moves the descent did not make) */
  snapshot(samples: readonly DescentSample[]): void {
    samples.forEach((sample, s) => this.before[s].set(sample.x))
  }

  current(): number[] | undefined {
    return this.values ? Array.from(this.values) : undefined
  }
}
