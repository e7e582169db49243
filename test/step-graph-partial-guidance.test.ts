import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SamplerSettings } from '../src/shared/manifest'
import { Engine } from '../src/engine/engine'
import type { GradientField } from '../src/engine/gradient-field'
import { OnnxDescentStepper } from '../src/engine/onnx-step'
import { canImport, importTinyLatentModel } from './support/latent-models'
import { expectSameDescent, graphOnly, startingSamples, trace } from './support/descent-trace'

/**
 * Partial guidance on the step graph: the imported latent model guides 3 of its 4 channels (the
 * reference sampler's CFG, manifest latent.guidedChannels), the fourth gets the unguided
 * combination. The graph path (a GPU's default) must give the host path's states, for the
 * descent and for the clock; before, such models fell back to the host path on every provider.
 */
describe.skipIf(!canImport())('the step graph with guidance on 3 of 4 latent channels (needs torch for the importer)', () => {
  let engine: Engine
  let host: GradientField
  let graph: GradientField
  let stepper: OnnxDescentStepper
  let guidedElements: number

  beforeAll(async () => {
    const { root, modelId } = importTinyLatentModel()
    engine = new Engine({ modelRoots: [root], provider: 'cpu', shippedModels: null })
    const entry = engine.model(modelId)
    const [channels, height, width] = entry.manifest.shape
    expect(entry.manifest.latent?.guidedChannels).toBe(3)
    expect(channels).toBe(4)
    guidedElements = 3 * height * width
    host = await engine.field(entry)
    stepper = await OnnxDescentStepper.load(entry.file(entry.manifest.files.gradient!), entry.manifest, 'cpu', 3)
    graph = graphOnly(host, stepper)
  }, 300_000)

  afterAll(async () => {
    await stepper?.release()
    await engine?.dispose()
  })

  const conditions = [{ classIndex: 4, weight: 1 }, { classIndex: 7, weight: 0.5 }]
  const settings: Record<string, SamplerSettings> = {
    'NAG descent, CFG 3': { method: 'nag', stepSize: 0.05, mu: 0.3, maxSteps: 12, stopGradNorm: 0, cfg: 3 },
    'the clock, CFG 1 until t 0.5, then 3': { method: 'clock', stepSize: 0.05, mu: 0.3, maxSteps: 6, stopGradNorm: 0, cfg: 3, farCfg: 1, farUntilTime: 0.5 }
  }
  for (const [name, sampler] of Object.entries(settings)) {
    it(name, async () => {
      const size = host.sampleSize
      const a = await trace(host, startingSamples(3, size), sampler, conditions, { guidedElements })
      const b = await trace(graph, startingSamples(3, size), sampler, conditions, { guidedElements })
      expectSameDescent(a, b, size, sampler.stopGradNorm)
      // the guidance is partial indeed: guiding every channel ends elsewhere in the guided ones and in the fourth
      const everywhere = await trace(host, startingSamples(3, size), sampler, conditions)
      const last = (t: typeof a) => t.states[t.states.length - 1][0]
      let fourth = 0
      for (let i = guidedElements; i < size; i++) fourth = Math.max(fourth, Math.abs(last(a)[i] - last(everywhere)[i]))
      expect(fourth).toBeGreaterThan(1e-3)
    }, 120_000)
  }
})
