import type { Condition } from '../../shared/jobs'
import type { ModelManifest, SamplerSettings } from '../../shared/manifest'
import { descend, planGuidance, type DescentSample, type GuidancePlan, type SampleOutcome } from '../sampler'
import { FrameGate } from '../frame-gate'
import { buildPreview } from '../preview'
import type { EnergyModel, JobModels, JobRuntime } from './job-context'

/** The most of a job's time that energies for frames may take (previews must stay cheap). */
const ENERGY_TIME_SHARE = 0.1

export interface DescentWithFrames {
  models: JobModels
  manifest: ModelManifest
  runtime: JobRuntime
  /** the job's id, its conditions, and a preview frame every `previewEvery` steps (0: none) */
  params: { jobId: string; conditions: readonly Condition[]; previewEvery: number }
  samples: DescentSample[]
  settings: SamplerSettings
  /** runs after each step, before its frame (repair re-noises held pixels here) */
  afterStep?: () => void
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Runs the descent with frames: a preview every `previewEvery` steps through a FrameGate. */
export async function descendWithFrames(job: DescentWithFrames): Promise<SampleOutcome[]> {
  const { models, manifest, samples, settings, runtime } = job
  const { jobId, conditions, previewEvery } = job.params
  const gate = new FrameGate(runtime.sendFrame, runtime.frameIntervalMs)
  runtime.onAck((seq) => gate.ack(seq))
  const plan = planGuidance(conditions, settings.cfg, manifest.nullClass)
  const started = performance.now()
  let energyMs = 0
  try {
    return await descend(models.field, samples, {
      ...settings,
      conditions: conditions,
      isCancelled: runtime.isCancelled,
      isStopped: runtime.isStopped,
      onStep: async ({ step, gradNorms, active }) => {
        const last = active === 0 || step === settings.maxSteps
        if (!last) job.afterStep?.()
        // a frame is built only when it can go out now (or is the last): a slow window gets
        // the newest state at the first step after its ack. Energies are an extra forward pass
        // (~40% of a sampler step with the shipped EqM-E), so a frame carries them only while
        // they have cost at most ENERGY_TIME_SHARE of the job so far, and the last frame always
        // does (the energy the samples ended at); the plot joins the gaps.
        if (previewEvery > 0 && (step % previewEvery === 0 || last) && (last || gate.wouldSendNow())) {
          let energies: number[] | undefined
          if (models.energy && (last || energyMs <= ENERGY_TIME_SHARE * (performance.now() - started))) {
            const before = performance.now()
            energies = await guidedEnergies(models.energy, samples, plan, models.field.sampleSize)
            energyMs += performance.now() - before
          }
          gate.offer({
            jobId,
            step,
            maxSteps: settings.maxSteps,
            gradNorms: Array.from(gradNorms),
            energies,
            active,
            preview: buildPreview(samples, manifest)
          })
        }
        // lets cancel requests and frame acks in between steps
        await yieldToEventLoop()
      }
    })
  } finally {
    gate.close()
    runtime.onAck(null)
  }
}

/** Each sample's energy under the same guidance as its gradient: E = sum_r k_r E(x, y_r) (energies add). */
async function guidedEnergies(energy: EnergyModel, samples: DescentSample[], plan: GuidancePlan, size: number): Promise<number[]> {
  const rows = samples.length * plan.labels.length
  const x = new Float32Array(rows * size)
  const labels = new Int32Array(rows)
  samples.forEach((sample, i) =>
    plan.labels.forEach((label, r) => {
      x.set(sample.x, (i * plan.labels.length + r) * size)
      labels[i * plan.labels.length + r] = label
    })
  )
  const values = await energy.energies(x, labels, rows)
  return samples.map((_, i) => plan.coefficients.reduce((sum, k, r) => sum + k * values[i * plan.labels.length + r], 0))
}

export type { SampleOutcome }
