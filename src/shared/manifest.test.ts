import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { modelManifestSchema, resolveStudioDefaults } from './manifest'

const ROOT = join(__dirname, '..', '..')
const fixture = () => JSON.parse(readFileSync(join(ROOT, 'test/fixtures/models/quadratic/manifest.json'), 'utf8'))

describe('model manifest: studio defaults', () => {
  it('are optional, and fall back to strength 0.5, held pixels, weight 1 and the sampler guidance', () => {
    const manifest = modelManifestSchema.parse(fixture())
    expect(manifest.studio).toBeUndefined()
    expect(resolveStudioDefaults(manifest.studio, manifest.sampler)).toEqual({
      repair: { strength: 0.5, holdUnmasked: true },
      compose: { weight: 1, cfg: manifest.sampler.cfg }
    })
  })

  it('take what the manifest states, part by part', () => {
    const manifest = modelManifestSchema.parse({ ...fixture(), studio: { repair: { strength: 0.3 }, compose: { weight: 0.5 } } })
    expect(resolveStudioDefaults(manifest.studio, { ...manifest.sampler, cfg: 2 })).toEqual({
      repair: { strength: 0.3, holdUnmasked: true },
      compose: { weight: 0.5, cfg: 2 }
    })
  })

  it('refuse values outside their range', () => {
    expect(modelManifestSchema.safeParse({ ...fixture(), studio: { repair: { strength: 0 } } }).success).toBe(false)
    expect(modelManifestSchema.safeParse({ ...fixture(), studio: { compose: { cfg: -1 } } }).success).toBe(false)
  })
})

describe('the shipped Fashion-MNIST manifest', () => {
  it('parses, with studio defaults from its benchmarks', () => {
    const shipped = modelManifestSchema.parse(JSON.parse(readFileSync(join(ROOT, 'models/fashion-mnist/manifest.json'), 'utf8')))
    expect(shipped.studio?.repair?.strength).toBeGreaterThan(0)
    expect(shipped.studio?.compose?.weight).toBeDefined()
  })
})
