import { afterAll, describe, expect, it } from 'vitest'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { Engine } from '../src/engine/engine'
import { base64ToBytes } from '../src/shared/base64'
import { SHIPPED_MODELS } from './support/paths'
import { shippedModelRepair } from './support/shipped-repair'

/**
 * The manifest's repair.renoiseHeld (docs/method.md §5): false for fields trained with spatially
 * varying noise, which repair without the held pixels re-noised. The same model with and
 * without it (the shipped manifest's value and its opposite): held pixels exact either way, and
 * the descent differs (the option is honoured).
 */
const root = mkdtempSync(join(tmpdir(), 'eqm-renoise-'))
cpSync(join(SHIPPED_MODELS, 'fashion-mnist'), join(root, 'fashion-mnist'), { recursive: true })
const manifestFile = join(root, 'fashion-mnist', 'manifest.json')
const shipped = JSON.parse(readFileSync(manifestFile, 'utf8'))
const shippedRenoises = shipped.repair?.renoiseHeld ?? true
writeFileSync(manifestFile, JSON.stringify({ ...shipped, repair: { renoiseHeld: !shippedRenoises } }))
const [renoising, local] = (shippedRenoises ? [SHIPPED_MODELS, root] : [root, SHIPPED_MODELS]).map((modelRoot) => new Engine({ modelRoots: [modelRoot], provider: 'cpu', frameIntervalMs: 0, shippedModels: null }))
afterAll(async () => {
  await renoising.dispose()
  await local.dispose()
  rmSync(root, { recursive: true, force: true })
})

describe('manifest repair.renoiseHeld', () => {
  it('true and false: held pixels stay exact either way, and only re-noising changes the descent', async () => {
    const image = new Uint8Array(28 * 28).map((_, i) => (i % 28 > 6 && i % 28 < 21 && i > 150 && i < 650 ? 200 : 10))
    const mask = new Uint8Array(28 * 28).map((_, i) => (i >= 300 && i < 480 ? 255 : 0))
    const job = shippedModelRepair(image, mask, { seed: 9, strength: 1, conditions: [] })
    const a = await renoising.call('repair', { ...job, jobId: 'renoise' })
    const b = await local.call('repair', { ...job, jobId: 'local' })
    const [pa, pb] = [a, b].map((r) => PNG.sync.read(Buffer.from(base64ToBytes(r.images[0].png))).data)
    let differs = 0
    for (let i = 0; i < 28 * 28; i++) {
      if (mask[i] === 0) {
        expect(pb[i * 4]).toBe(image[i])
        expect(pa[i * 4]).toBe(image[i])
      } else if (pa[i * 4] !== pb[i * 4]) differs++
    }
    expect(differs).toBeGreaterThan(10)
  }, 60_000)
})
