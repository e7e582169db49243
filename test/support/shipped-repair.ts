import { bytesToBase64 } from '../../src/shared/base64'
import type { Condition } from '../../src/shared/jobs'

/** A repair job's parameters for the shipped 28x28 model, from gray image and mask bytes (no job id). */
export function shippedModelRepair(image: Uint8Array, mask: Uint8Array, options: { seed: number; strength: number; conditions?: Condition[] }) {
  const plane = (data: Uint8Array) => ({ width: 28, height: 28, channels: 1, data: bytesToBase64(data) })
  return { modelId: 'fashion-mnist', seed: options.seed, image: plane(image), mask: plane(mask), strength: options.strength, conditions: options.conditions ?? [] }
}
