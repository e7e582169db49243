import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SHIPPED_MODELS } from './paths'

/** The shipped Fashion-MNIST model's manifest, as parsed JSON. */
export const SHIPPED_MANIFEST = JSON.parse(readFileSync(join(SHIPPED_MODELS, 'fashion-mnist', 'manifest.json'), 'utf8'))

/**
 * A models folder `root/name` holding a copy of the shipped Fashion-MNIST model whose manifest
 * is the shipped one with `changes` on top (its files, its ood block): a model variant to test on.
 */
export function shippedCopy(root: string, name: string, changes: Record<string, unknown>): string {
  const folder = join(root, name)
  cpSync(join(SHIPPED_MODELS, 'fashion-mnist'), join(folder, 'fashion-mnist'), { recursive: true })
  writeFileSync(join(folder, 'fashion-mnist', 'manifest.json'), JSON.stringify({ ...SHIPPED_MANIFEST, ...changes }))
  return folder
}

/**
 * A mahalanobis-align calibration on the shipped noise levels and seeds with an identity Gaussian
 * over its numbers (log rms and align at each level): which network's features move it is what
 * the tests check, not how well it separates.
 */
export function identityAlignOod() {
  const width = 2 * SHIPPED_MANIFEST.ood.noiseLevels.length
  return {
    ...SHIPPED_MANIFEST.ood,
    score: 'mahalanobis-align',
    mean: new Array(width).fill(0),
    precision: Array.from({ length: width }, (_, i) => Array.from({ length: width }, (_, j) => (i === j ? 1 : 0)))
  }
}
