import type { Condition } from '../../shared/jobs'
import type { ModelManifest, SamplerSettings } from '../../shared/manifest'
import type { Frame } from '../../shared/frames'
import { descend, planGuidance, type DescentSample, type GuidancePlan, type SampleOutcome } from '../sampler'
import { FrameGate } from '../frame-gate'
import { buildPreview } from '../preview'
import { ENERGY_ANCHOR_DEFAULT, type EnergyModel, type JobModels, type JobRuntime } from './job-context'
import { EnergyEstimate } from './energy-estimate'
import { LatentPreviewer, requireVae } from './latent-images'

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
  const estimate = models.energy && previewEvery > 0 ? new EnergyEstimate(samples.length) : null
  const anchorMode = runtime.energyAnchor ?? ENERGY_ANCHOR_DEFAULT
  // set inside onStep, which the compiler does not follow into: hence the assertion
  let anchorTask = null as Promise<void> | null
  let reportedStep = 0
  const latent = manifest.space === 'latent' ? new LatentPreviewer(requireVae(models, manifest), manifest) : null
  const [channels, height, width] = manifest.shape
  const guidedChannels = Math.min(channels, manifest.latent?.guidedChannels ?? channels)
  // the sampler's per-sample norms (one array it updates every step): after the descent, the last step's
  let lastNorms: ArrayLike<number> = []
  let lastSent = false

  // Exact energies are a second network's forward pass (~40% of a sampler step with the shipped
  // EqM-E), so a job makes one, for its last frame; frames before it carry the path integral of
  // the samplers' moves (energy-estimate.ts): the change since the start, which the last frame's offsets
  // put on the exact scale ('end'), or the estimate from an exact pass after the first frame
  // ('inline', 'concurrent': a second pass; npm run bench measures all three).
  async function sendFrame(step: number, gradNorms: ArrayLike<number>, active: number, last: boolean): Promise<void> {
    let energies: number[] | undefined
    let energyKind: Frame['energyKind']
    let energyOffsets: number[] | undefined
    if (models.energy && last) {
      await anchorTask
      energies = await guidedEnergies(models.energy, samples, plan, models.field.sampleSize)
      energyKind = 'exact'
      if (estimate && !estimate.anchored) energyOffsets = estimate.offsetsTo(energies)
    } else if (estimate?.anchored) {
      energies = estimate.current()
      energyKind = 'estimate'
    } else if (estimate && anchorMode === 'end') {
      energies = estimate.change()
      energyKind = 'change'
    }
    const frame = {
      jobId,
      step,
      maxSteps: settings.maxSteps,
      gradNorms: Array.from(gradNorms),
      energies,
      energyKind,
      energyOffsets,
      active,
      preview: latent ? await latent.preview(samples) : buildPreview(samples, manifest)
    }
    if (last) {
      lastSent = true
      gate.offerLast(frame)
    } else gate.offer(frame)
  }

  try {
    const outcomes = await descend(models.field, samples, {
      ...settings,
      conditions: conditions,
      isCancelled: runtime.isCancelled,
      isStopped: runtime.isStopped,
      guidedElements: guidedChannels * height * width,
      betweenCalls: yieldToEventLoop,
      changesStatesBetweenSteps: job.afterStep !== undefined,
      decay: manifest.decay,
      onStep: async ({ step, gradNorms, active, energyChanges }) => {
        const last = active === 0 || step === settings.maxSteps
        // the step graph reports every K steps: a frame is due when a multiple of previewEvery was passed
        const frameDue = previewEvery > 0 && Math.floor(step / previewEvery) > Math.floor(reportedStep / previewEvery)
        reportedStep = step
        lastNorms = gradNorms
        // (the sampler's own moves only: the re-noising below is not in energyChanges)
        estimate?.advance(energyChanges)
        if (!last) job.afterStep?.()
        // a frame is built only when it can go out now (or is the last): a slow window gets
        // the newest state at the first step after its ack
        if (previewEvery > 0 && (frameDue || last) && (last || gate.wouldSendNow())) {
          await sendFrame(step, gradNorms, active, last)
          if (models.energy && estimate && anchorMode !== 'end' && !anchorTask && !last) {
            // guidedEnergies copies the states before it awaits, so the descent may go on meanwhile
            const mark = estimate.mark()
            anchorTask = guidedEnergies(models.energy, samples, plan, models.field.sampleSize).then((exact) => estimate.anchor(exact, mark))
            if (anchorMode === 'inline') await anchorTask
            // handled here so a failure waits for the last frame's await instead of ending the process
            else anchorTask.catch(() => undefined)
          }
        }
        // lets cancel requests and frame acks in between steps
        await yieldToEventLoop()
      }
    })
    // stop-and-keep ends the descent between steps: the kept states still get their last frame
    // (and the exact energies the plot was promised); the samples it stopped are no longer active
    if (previewEvery > 0 && !lastSent && reportedStep > 0) await sendFrame(reportedStep, lastNorms, 0, true)
    return outcomes
  } finally {
    await anchorTask?.catch(() => undefined)
    gate.close()
    runtime.onAck(null)
  }
}

/** Each sample's energy under the same guidance as its gradient: E = sum_r k_r E(x, y_r) (energies add). */
export async function guidedEnergies(energy: EnergyModel, samples: DescentSample[], plan: GuidancePlan, size: number): Promise<number[]> {
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
