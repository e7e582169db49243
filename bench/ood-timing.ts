import type { Engine } from '../src/engine/engine'
import type { ModelEntry } from '../src/engine/model-registry'
import { oodScores } from '../src/engine/ood'
import { isClassScore, isCopyCheckScore } from '../src/engine/ood-kinds'
import { SeededRandom } from '../src/engine/rng'
import { bytesToValues } from '../src/shared/image-convert'
import { median, round } from './ort-timing'
import { existsSync } from 'node:fs'
import { FASHION_TEST_IMAGES, fashionTestPixels } from '../test/support/fashion-test-images'

/**
 * What the OOD check costs per image with the model's own score (its manifest's calibration), and
 * with the cheaper two-network score beside it where the model has one: the time of oodScores on a
 * batch of images, median of runs. The copy checks spend no rows on a copy equal to its image, so
 * the cost depends on the images: Fashion-MNIST test images for a 1x28x28 model where Debian's
 * dataset is installed (most are at full contrast, few exactly centred), else seeded noise clipped
 * to the value range (at full contrast and centred: the cheap case), as the report's `images` says.
 */
export async function oodScoreTiming(engine: Engine, entry: ModelEntry, images = 16, runs = 3): Promise<Record<string, unknown> | null> {
  const calibration = entry.manifest.ood
  if (!calibration || calibration.score === 'energy') return null
  const networks = await engine.oodModels(entry)
  const size = networks.field.sampleSize
  const [low, high] = entry.manifest.valueRange
  const rng = new SeededRandom(7)
  const fashion = entry.manifest.shape.join('x') === '1x28x28' && existsSync(FASHION_TEST_IMAGES)
  const batch = Array.from({ length: images }, (_, i) =>
    fashion ? bytesToValues(fashionTestPixels(i), entry.manifest.valueRange) : Float32Array.from(rng.fillNormal(new Float32Array(size)), (v) => Math.min(high, Math.max(low, v)))
  )
  // the model's score, and beside it the cheaper scores it builds on: the per-class score without the
  // copy checks, the pair score without the class search. Run in turns, a run of each per round: this
  // VM's speed drifts by a third over a minute, which separate blocks of runs would put into the ratios
  const scores: { key: string; score: string }[] = [{ key: 'msPerImage', score: calibration.score }]
  if (isClassScore(calibration.score)) scores.push({ key: 'pairScoreMsPerImage', score: 'mahalanobis-align-pair' })
  if (isCopyCheckScore(calibration.score)) scores.push({ key: 'classScoreMsPerImage', score: 'mahalanobis-align-pair-class' })
  const times = scores.map((): number[] => [])
  for (const { score } of scores) await oodScores(networks, batch.slice(0, 4), { ...calibration, score }, entry.manifest.id, entry.manifest) // warm-up
  for (let i = 0; i < runs; i++) {
    for (const [k, { score }] of scores.entries()) {
      const started = performance.now()
      await oodScores(networks, batch, { ...calibration, score }, entry.manifest.id, entry.manifest)
      times[k].push((performance.now() - started) / images)
    }
  }
  const report: Record<string, unknown> = {
    score: calibration.score,
    images: fashion ? `Fashion-MNIST test images 0-${images - 1}` : `${images} seeded noise images`,
    ...Object.fromEntries(scores.map(({ key }, k) => [key, round(median(times[k]))]))
  }
  return report
}
