/**
 * Seeded randomness for reproducible jobs: the same seed gives the same numbers on every
 * machine (pure integer arithmetic + Math.log/sqrt/cos on doubles, rounded to float32).
 * xoshiro128** seeded through splitmix32, normals by Box-Muller.
 */
export class SeededRandom {
  private s0: number
  private s1: number
  private s2: number
  private s3: number
  private spareNormal: number | null = null

  constructor(seed: number) {
    let state = seed >>> 0
    const next = (): number => {
      state = (state + 0x9e3779b9) >>> 0
      let z = state
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.s0 = next()
    this.s1 = next()
    this.s2 = next()
    this.s3 = next()
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1
  }

  /** uniform 32-bit unsigned integer */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0
    const t = (this.s1 << 9) >>> 0
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    this.s0 >>>= 0
    this.s1 >>>= 0
    this.s2 >>>= 0
    return result
  }

  /** uniform in (0, 1) */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296
  }

  nextNormal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal
      this.spareNormal = null
      return spare
    }
    const radius = Math.sqrt(-2 * Math.log(this.nextUniform()))
    const angle = 2 * Math.PI * this.nextUniform()
    this.spareNormal = radius * Math.sin(angle)
    return radius * Math.cos(angle)
  }

  fillNormal(target: Float32Array): Float32Array {
    for (let i = 0; i < target.length; i++) target[i] = this.nextNormal()
    return target
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}

/** Seed of image i in a job seeded with `seed`: image i alone is reproduced by a count-1 job with this seed. */
export function imageSeed(seed: number, index: number): number {
  return (seed + index) >>> 0
}
