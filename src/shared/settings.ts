/**
 * Every tunable of EqM Studio, with its one default, its bounds and its description. The
 * zod schemas, the studio's fields and their tooltips, the CLI's help and the session codec
 * all read them from here, so a bound or a default has exactly one owner.
 *
 * A model's manifest may carry its own values (its sampler defaults, and the studio block
 * chosen from its benchmarks); the defaults here apply where a manifest says nothing, and
 * the bounds apply to every value, the manifest's included.
 */

export interface NumberSetting {
  /** the field's label in the studio */
  label: string
  /** what it does and which way to move it, in plain words (tooltip and CLI help) */
  description: string
  min: number
  max: number
  /** the studio field's increment */
  step: number
  default: number
  integer?: boolean
  /** the CLI option that sets it, where there is one */
  cliFlag?: string
}

export interface ChoiceSetting<T extends string> {
  label: string
  description: string
  choices: readonly { value: T; label: string; description: string }[]
  default: T
  cliFlag?: string
}

const number = (setting: NumberSetting): NumberSetting => setting

export type SamplerMethod = 'gd' | 'nag' | 'clock'

export const SAMPLER_METHOD: ChoiceSetting<SamplerMethod> = {
  label: 'Method',
  description:
    'How samples move. NAG-GD and GD descend the energy landscape and stop each sample where it is flat; NAG-GD looks ahead along the last step and usually needs fewer steps. Clock integrates the same field from noise to data in a fixed number of steps, like a flow: more varied images, no early stop.',
  choices: [
    { value: 'nag', label: 'NAG-GD (look-ahead)', description: 'x_look = x − η μ f_prev; x ← x − η f(x_look)' },
    { value: 'gd', label: 'GD', description: 'x ← x − η f(x)' },
    { value: 'clock', label: 'Clock (flow, fixed steps)', description: 'dx/dt = −f(x) / c(t) from t = 0 (noise) to 1 (data), Heun steps; c is the training schedule' }
  ],
  default: 'nag',
  cliFlag: 'sampler'
}

/** The descent's settings (their defaults apply where a model's manifest gives none). */
export const SAMPLER = {
  stepSize: number({
    label: 'Step size η',
    description: 'How far each step moves along the gradient. Larger converges in fewer steps but can overshoot and smear detail; smaller is steadier but needs more steps.',
    min: 0.0001,
    max: 10,
    step: 0.005,
    default: 0.05,
    cliFlag: 'step-size'
  }),
  mu: number({
    label: 'Look-ahead μ',
    description: 'NAG-GD only: how far to look ahead along the previous step before measuring the gradient. Higher speeds the descent up; too high makes it oscillate. 0 is plain GD.',
    min: 0,
    max: 0.99,
    step: 0.05,
    default: 0.3,
    cliFlag: 'mu'
  }),
  maxSteps: number({
    label: 'Max steps',
    description: 'The most steps a sample may take. Samples usually stop earlier, at the gradient stop; raise it if samples end at this limit still blurry.',
    min: 1,
    max: 5000,
    step: 1,
    default: 50,
    integer: true,
    cliFlag: 'steps'
  }),
  stopGradNorm: number({
    label: 'Stop at gradient RMS',
    description: 'A sample stops once the landscape under it is this flat (RMS of the guided gradient): it has reached an energy minimum. Lower runs longer for finer detail; 0 never stops early.',
    min: 0,
    max: 100,
    step: 0.01,
    default: 0,
    cliFlag: 'stop-grad-norm'
  }),
  cfg: number({
    label: 'Guidance (CFG)',
    description: 'How strongly the class pulls the sample: f = f_∅ + s (f_class − f_∅). Higher gives clearer class features but less variety; 1 is the plain conditional model, 0 ignores the class.',
    min: 0,
    max: 20,
    step: 0.25,
    default: 1,
    cliFlag: 'cfg'
  }),
  farCfg: number({
    label: 'Guidance far from equilibrium',
    description: 'The guidance strength while a sample is still far from an energy minimum (its gradient RMS has not yet fallen under the next setting); Guidance (CFG) takes over from there. Weaker guidance far away keeps more variety, as a guidance interval does in time-conditioned models. Used only when the next setting is above 0.',
    min: 0,
    max: 20,
    step: 0.25,
    default: 1,
    cliFlag: 'far-cfg'
  }),
  farUntilRms: number({
    label: 'Far until gradient RMS',
    description: 'Where "far" ends: a sample is far from equilibrium until the RMS of its guided gradient first falls under this (the RMS sits near 5 while the landscape is steep and drops towards the stop as the sample settles). 0 switches far guidance off.',
    min: 0,
    max: 100,
    step: 0.25,
    default: 0,
    cliFlag: 'far-until-rms'
  }),
  farUntilTime: number({
    label: 'Far until time',
    description: 'Clock method only: guidance far from equilibrium applies while the clock t (0 noise, 1 data) is under this; Guidance (CFG) from there on (a guidance interval). 0 switches it off.',
    min: 0,
    max: 1,
    step: 0.05,
    default: 0,
    cliFlag: 'far-until-time'
  })
} as const

export type SamplerKey = keyof typeof SAMPLER | 'method'

/** Generation and composition counts and seeds. */
export const JOB = {
  count: number({ label: 'Images', description: 'How many images one run makes; image i gets seed + i.', min: 1, max: 256, step: 1, default: 4, integer: true, cliFlag: 'count' }),
  repairCount: number({ label: 'Images', description: 'How many repairs of the same photo one run makes.', min: 1, max: 64, step: 1, default: 1, integer: true }),
  seed: number({
    label: 'Seed',
    description: 'The starting noise. The same seed and settings give the same image, byte for byte; lock it to keep it between runs.',
    min: 0,
    max: 2 ** 32 - 1,
    step: 1,
    default: 1,
    integer: true,
    cliFlag: 'seed'
  }),
  previewEvery: number({ label: 'Preview every', description: 'A live preview every k steps (0: none).', min: 0, max: 1000, step: 1, default: 1, integer: true })
} as const

/** Repair: the noise painted onto a photo, and the brush that paints it. */
export const REPAIR = {
  strength: number({
    label: 'Noise strength s',
    description: 'How much noise the painted region gets before the landscape pulls it back: x + m·s·(ε − x). Higher lets the model invent more (and drift from the photo); lower keeps closer to what was there.',
    min: 0.05,
    max: 1,
    step: 0.05,
    default: 0.5,
    cliFlag: 'strength'
  }),
  /** from this strength on, an unguided repair often leaves grain or drifts in class (models' benchmarks may set their own) */
  guideHintStrength: number({
    label: 'Suggest a class from strength',
    description: 'From this noise strength on, the studio suggests naming the photo’s class, which the benchmark measured to give cleaner repairs.',
    min: 0,
    max: 1,
    step: 0.05,
    default: 0.8
  }),
  /** below this, the classifier is unsure and the studio suggests no class (an unsure guess steered the astronaut's face into a T-shirt) */
  suggestMinProbability: number({
    label: 'Suggest a class from confidence',
    description: 'The studio suggests the class the classifier sees only when it is at least this sure; a guess on a photo unlike the model’s data would steer the repair wrong.',
    min: 0,
    max: 1,
    step: 0.05,
    default: 0.6
  }),
  brushSize: number({ label: 'Size', description: 'Brush diameter in model pixels ([ and ] change it).', min: 1, max: 64, step: 1, default: 6 }),
  brushOpacity: number({ label: 'Opacity', description: 'How much of the full noise strength one stroke paints; strokes add up to 100%.', min: 0.05, max: 1, step: 0.05, default: 1 }),
  brushSoftness: number({ label: 'Softness', description: 'How gradually the brush fades at its edge. Soft edges blend the repair into the photo.', min: 0, max: 1, step: 0.05, default: 0.3 })
} as const

/** Composition: several classes whose energies add. */
export const COMPOSE = {
  weight: number({
    label: 'Weight',
    description: 'How much this class pulls (its energy is added with this weight). Negative pushes away from the class; 0 leaves it out.',
    min: -2,
    max: 2,
    step: 0.05,
    default: 1
  }),
  cfg: number({
    label: 'Guidance scale s (CFG)',
    description: 'How strongly the whole composition pulls: f = f_∅ + s Σ w_k (f_k − f_∅). Higher mixes the classes more visibly; too high distorts.',
    min: 0,
    max: 10,
    step: 0.25,
    default: 1,
    cliFlag: 'cfg'
  }),
  maxClasses: number({ label: 'Classes', description: 'The most classes one composition can add.', min: 2, max: 16, step: 1, default: 2, integer: true })
} as const

export type ProviderChoiceName = 'auto' | 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu'

export const PROVIDER: ChoiceSetting<ProviderChoiceName> = {
  label: 'Run on',
  description: 'Where the model runs. Auto tries the GPU providers this machine has, in order, and falls back to the CPU, which always works.',
  choices: [
    { value: 'auto', label: 'Auto', description: 'the first that starts: CUDA, DirectML, CoreML, WebGPU, then CPU' },
    { value: 'cuda', label: 'CUDA', description: 'NVIDIA GPUs; needs onnxruntime-node’s CUDA download (README)' },
    { value: 'dml', label: 'DirectML', description: 'any DirectX 12 GPU on Windows' },
    { value: 'coreml', label: 'CoreML', description: 'Apple silicon and macOS GPUs' },
    { value: 'webgpu', label: 'WebGPU', description: 'GPUs through Dawn (Vulkan, Metal, D3D12)' },
    { value: 'cpu', label: 'CPU', description: 'always available' }
  ],
  default: 'auto',
  cliFlag: 'provider'
}

export type CpuPrecision = 'fp32' | 'int8'

/**
 * The gradient model's number format on the CPU provider (src/engine/quantize-int8.ts). Opt-in:
 * int8 changes the images a seed gives, so results record it (result params "precision").
 */
export const CPU_PRECISION: ChoiceSetting<CpuPrecision> = {
  label: 'CPU precision',
  description:
    'The number format of the gradient model’s matrix products on the CPU. int8 stores their weights in 8 bits, quantised when the model loads: faster on large (transformer) models and approximate (on a B/2-size model the gradient moved by 1.5% of its size, so images differ slightly from fp32). Convolutions stay fp32. GPU providers ignore it; results record it.',
  choices: [
    { value: 'fp32', label: 'fp32', description: 'exact: the model as exported' },
    { value: 'int8', label: 'int8 (faster)', description: 'approximate: per-column int8 weights, activations quantised per call (CPU provider only)' }
  ],
  default: 'fp32',
  cliFlag: 'cpu-precision'
}

/**
 * The disk cache of int8 models (src/engine/int8-cache.ts) in the user-data folder: a model is
 * quantised once, not at every load (B/2 took 7 s, XL/2 41 s). When either limit is passed,
 * the least recently used model goes.
 */
export const INT8_CACHE = {
  maxModels: number({
    label: 'int8 models kept',
    description: 'How many int8-quantised models the cache in the user-data folder keeps; the least recently used goes first.',
    min: 1,
    max: 64,
    step: 1,
    default: 4,
    integer: true
  }),
  maxGigabytes: number({
    label: 'int8 cache size (GB)',
    description: 'The most disk space the int8 model cache takes (an int8 model is a quarter of its fp32 size: 0.13 GB for B/2, 0.68 GB for XL/2); the least recently used goes first. A model over it is not kept.',
    min: 0.1,
    max: 1000,
    step: 0.5,
    default: 4
  })
} as const

/**
 * Why the CPU precision does nothing on a GPU provider ("CUDA runs the model as exported: ..."):
 * the engine's reason for a loaded model (engine info) and the studio's before a model loads.
 */
export function cpuPrecisionIgnoredOn(provider: string): string {
  return `${provider.toUpperCase()} runs the model as exported: CPU precision applies to the CPU provider only`
}

/** The execution providers in the order "auto" tries them (every choice but auto). */
export const PROVIDER_ORDER = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const

/** OOD score kinds the engine computes (src/engine/ood-kinds.ts); higher = further from the training data. */
export const OOD_SCORE: ChoiceSetting<'grad-rms' | 'grad-rms-noised' | 'dot' | 'mahalanobis' | 'mahalanobis-dot' | 'mahalanobis-cond' | 'mahalanobis-align' | 'mahalanobis-align-pair' | 'mahalanobis-align-pair-class' | 'mahalanobis-align-pair-class-orient' | 'mahalanobis-align-pair-class-orient-stretch' | 'mahalanobis-align-pair-class-orient-stretch-centre' | 'mahalanobis-align-pair-classifier' | 'energy'> = {
  label: 'OOD score',
  description: 'How an image’s distance from the training data is measured; a model’s calibration chooses one.',
  choices: [
    {
      value: 'grad-rms',
      label: 'gradient size',
      description:
        'the size (RMS) of the learned gradient at the image. Training data sits in the minima of the energy landscape, where the gradient is nearly zero; the further an image is from anything the model learned, the steeper the slope under it.'
    },
    {
      value: 'grad-rms-noised',
      label: 'gradient size, noised',
      description:
        'the size (RMS) of the learned gradient, averaged over a few lightly noised copies of the image (fixed seeds, so the score is reproducible). Training data sits in the minima of the energy landscape, where the slope is small; images unlike anything the model learned sit on steep slopes.'
    },
    { value: 'dot', label: 'pull-back', description: 'the dot product of the image with the learned gradient, x·f(x) per pixel: how hard the landscape pushes the image back towards the data.' },
    {
      value: 'mahalanobis',
      label: 'gradient profile',
      description:
        'how unusual the image’s profile of gradient sizes is, measured at several noise levels and compared with the same profile on real images (a Gaussian fitted on a calibration split). Real images share a typical profile; images unlike the training data break it.'
    },
    {
      value: 'mahalanobis-dot',
      label: 'gradient profile and pull-back',
      description:
        'how unusual the image’s profile of gradient sizes at several noise levels is, together with how hard the landscape pulls it back (x·f), compared with real images (a Gaussian fitted on a calibration split). Real images share a typical profile; images unlike the training data break it.'
    },
    {
      value: 'mahalanobis-cond',
      label: 'gradient profile, pull-back and best class',
      description:
        'the gradient profile and pull-back together with how well the best-fitting class explains the image: the smallest gradient among the class-conditional fields and how much that class changes the gradient, compared with real images (a Gaussian fitted on a calibration split). A real image sits near the minimum of its own class; an image of no class sits near none.'
    },
    {
      value: 'mahalanobis-align',
      label: 'gradient profile, pull-back and noise recovery',
      description:
        'the gradient profile and pull-back together with how well the field recovers the noise added to the image (the alignment of the gradient at lightly noised copies with the noise added), compared with real images (a Gaussian fitted on a calibration split). The field knows how real images look under noise; for an unfamiliar image it cannot tell image from noise.'
    },
    {
      value: 'mahalanobis-align-pair',
      label: 'noise recovery, two networks',
      description:
        'the gradient profile, pull-back and noise recovery measured twice, once by the network kept for OOD scores and once by the network that generates images, all compared together with real images (one Gaussian over both, fitted on a calibration split). The two networks were trained differently and miss different things, so together they catch more. Needs a model with a separate OOD network (manifest files.ood).'
    },
    {
      value: 'mahalanobis-align-pair-class',
      label: 'noise recovery, two networks, per class',
      description:
        'how well two networks recover noise added to the image (the one kept for OOD scores and the one that generates), compared with real images of the image’s own class rather than with all real images: the model finds the class itself (the class whose field best recovers noise added to the image) and measures the image against that class’s typical profile. Classes differ, so one profile for all of them is loose; an image unlike any garment of the class it most resembles stands out. Needs files.ood; costs one model row per class and seed more per image.'
    },
    {
      value: 'mahalanobis-align-pair-class-orient',
      label: 'noise recovery, two networks, per class, orientation',
      description:
        'the per-class noise-recovery score, checked against flipped and turned copies of the image: where a copy looks more typical than the image itself, by more than real images’ copies do, the image was probably flipped or turned away from how the training images stand (shoes point one way, photos stand upright), and its score rises by that much. Symmetric images are neither caught nor penalised. Needs files.ood; costs the per-class score once per copy more (six times in all with the five copies).'
    },
    {
      value: 'mahalanobis-align-pair-class-orient-stretch',
      label: 'noise recovery, two networks, per class, orientation and contrast',
      description:
        'the per-class noise-recovery score, checked against copies of the image: flipped and turned ones (an image turned away from how the training images stand) and one stretched to the full range from darkest to brightest (an image dimmed or washed out). Where a copy looks more typical than the image itself, by more than real images’ copies do, the score rises by that much. Symmetric images and images that already use the full range are neither caught nor penalised. Needs files.ood; costs the per-class score seven times in all.'
    },
    {
      value: 'mahalanobis-align-pair-class-orient-stretch-centre',
      label: 'noise recovery, two networks, per class, orientation, contrast and centring',
      description:
        'the per-class noise-recovery score, checked against copies of the image: flipped and turned ones (an image turned away from how the training images stand), one stretched to the full range from darkest to brightest (an image dimmed or washed out) and one moved so its content sits in the middle of the frame (an image shifted off-centre). Where a copy looks more typical than the image itself, by more than real images’ copies do, the score rises by that much. Images already upright, at full contrast and centred are neither caught nor penalised. Needs files.ood; costs the per-class score eight times in all.'
    },
    {
      value: 'mahalanobis-align-pair-classifier',
      label: 'noise recovery, two networks, and the classifier (variant)',
      description:
        'how well two networks recover noise added to the image (the one kept for OOD scores and the one that generates), together with how the model’s classifier sees the image (its confidence in the best class, the size of its logits and of its features), compared with real images in one Gaussian. A variant, not the EqM-only score: the classifier is a separate network. Needs files.ood and files.classifier.'
    },
    { value: 'energy', label: 'energy', description: 'the explicit energy model’s value at the image (EqM-E): data sits in low-energy valleys.' }
  ],
  default: 'grad-rms'
}
export type OodScoreKind = (typeof OOD_SCORE.choices)[number]['value']

/** The scores a user's calibration can be fitted for (the energy score has no calibration fit yet). */
export const CALIBRATABLE_OOD_SCORES = OOD_SCORE.choices.map((c) => c.value).filter((v): v is CalibratableOodScore => v !== 'energy')
export type CalibratableOodScore = Exclude<OodScoreKind, 'energy'>

/** The calibratable scores a model can compute: the two-network ones need files.ood, the classifier variant files.classifier too
 *  (the per-class one also needs at least 2 classes, which the engine checks when it fits). */
export function calibratableScoresOf(model: { hasOodNetwork?: boolean; hasClassifier: boolean }): CalibratableOodScore[] {
  return CALIBRATABLE_OOD_SCORES.filter((score) => {
    if (score === 'mahalanobis-align-pair' || score === 'mahalanobis-align-pair-class' || score.startsWith('mahalanobis-align-pair-class-orient')) return model.hasOodNetwork === true
    if (score === 'mahalanobis-align-pair-classifier') return model.hasOodNetwork === true && model.hasClassifier
    return true
  })
}

/** Noise levels and seeds of a calibration fitted for a score the model's own calibration does not spell out. */
export const OOD_FEATURE_DEFAULTS = { noiseLevels: [0, 0.1, 0.2, 0.35, 0.5], seeds: [1, 2] } as const

/** "Step size η: how far …" for help texts: the label's description with its bounds. */
export function describeNumber(setting: NumberSetting): string {
  return `${setting.description} (${setting.min} to ${setting.max}; default ${setting.default})`
}

/** Clamps a field's value into the setting's bounds (rounding integers); NaN gives the default. */
export function clampSetting(setting: NumberSetting, value: number): number {
  if (!Number.isFinite(value)) return setting.default
  const bounded = Math.min(setting.max, Math.max(setting.min, value))
  return setting.integer ? Math.round(bounded) : bounded
}

/** The sampler defaults that apply where a model gives none (before any model is loaded, say). */
export function defaultSampler() {
  return {
    method: SAMPLER_METHOD.default,
    stepSize: SAMPLER.stepSize.default,
    mu: SAMPLER.mu.default,
    maxSteps: SAMPLER.maxSteps.default,
    stopGradNorm: SAMPLER.stopGradNorm.default,
    cfg: SAMPLER.cfg.default
  }
}

/** Views of a result (not sent to the engine). */
export const VIEW = {
  compare: number({ label: 'Before ⟷ after', description: 'Where the divider between the photo before (left) and the repair (right) sits.', min: 0, max: 1, step: 0.01, default: 0.5 })
} as const
