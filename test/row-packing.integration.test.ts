import { afterAll, describe, expect, it } from 'vitest'
import { PNG } from 'pngjs'
import { Engine } from '../src/engine/engine'
import { base64ToBytes } from '../src/shared/base64'
import { readPngText } from '../src/shared/png-text'
import { FIXTURE_MODELS } from './support/paths'

const alone = new Engine({ modelRoots: [FIXTURE_MODELS], frameIntervalMs: 0 })
const packed = new Engine({ modelRoots: [FIXTURE_MODELS], frameIntervalMs: 0, packJobs: 3 })
afterAll(async () => {
  await alone.dispose()
  await packed.dispose()
})

const jobs = [
  { modelId: 'quadratic', seed: 3, count: 2, conditions: [{ classIndex: 2, weight: 1 }], sampler: { maxSteps: 6 } },
  { modelId: 'quadratic', seed: 4, count: 1, conditions: [{ classIndex: 0, weight: 1 }], sampler: { maxSteps: 9, cfg: 2 } },
  { modelId: 'quadratic', seed: 5, count: 3, conditions: [], sampler: { maxSteps: 4 } }
]

describe('row packing in the engine (packJobs)', () => {
  it('runs concurrent jobs together with the same images, and their parameters say packing was on', async () => {
    const one = await Promise.all(jobs.map((job, i) => alone.call('generate', { ...job, jobId: `alone-${i}` })))
    const together = await Promise.all(jobs.map((job, i) => packed.call('generate', { ...job, jobId: `packed-${i}` })))
    together.forEach((result, j) => {
      const pixels = (r: typeof result) => r.images.map((image) => [Buffer.from(PNG.sync.read(Buffer.from(base64ToBytes(image.png))).data).toString('base64'), image.steps])
      expect(pixels(result)).toEqual(pixels(one[j]))
      const params = JSON.parse(readPngText(base64ToBytes(result.images[0].png))!)
      expect(params.rowPacking).toBe(true)
      expect(JSON.parse(readPngText(base64ToBytes(one[j].images[0].png))!).rowPacking).toBeUndefined()
    })
  })
})
