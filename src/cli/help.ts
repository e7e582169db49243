import { COMPOSE, CPU_PRECISION, JOB, PROVIDER, REPAIR, SAMPLER, SAMPLER_METHOD, type NumberSetting } from '../shared/settings'
import { IMPORT_HELP } from './import-command'

/** One help line per option: flag, what it does and which way to move it, bounds and default. */
function optionLine(flag: string, setting: NumberSetting, defaultNote?: string): string {
  const bounds = `${setting.min} to ${setting.max}`
  return `  --${flag.padEnd(15)} ${setting.description}\n  ${''.padEnd(17)} (${bounds}; default ${defaultNote ?? setting.default})`
}

/** The CLI's help, written from the settings module (the studio's tooltips read the same text). */
export function helpText(): string {
  const sampler = [
    `  --${`sampler ${SAMPLER_METHOD.choices.map((c) => c.value).join('|')}`.padEnd(15)} ${SAMPLER_METHOD.description}`,
    optionLine('steps N', SAMPLER.maxSteps, "the model's"),
    optionLine('step-size ETA', SAMPLER.stepSize, "the model's"),
    optionLine('mu MU', SAMPLER.mu, "the model's"),
    optionLine('cfg S', SAMPLER.cfg, "the model's; compose: its benchmarked guidance"),
    optionLine('far-cfg S', SAMPLER.farCfg, "the model's"),
    optionLine('far-until-rms R', SAMPLER.farUntilRms, "the model's"),
    optionLine('far-until-time T', SAMPLER.farUntilTime, "the model's"),
    optionLine('stop-grad-norm G', SAMPLER.stopGradNorm, "the model's")
  ]
  return `eqm: EqM Studio from the command line (headless; same engine as the app)

  eqm generate --class <name|index> [--count N] [--seed S] --out DIR
  eqm compose  --class A:w --class B:w [...] [--count N] [--seed S] --out DIR
  eqm repair   --in IMG --mask MASK [--strength S] [--class C] [--no-hold] --out FILE
               latent models: IMG at its own size, MASK the same size (painted = bright); the
               model-sized context around the painted region is repaired and blended back
               [--padding PX (32)] [--context SIDE (0: region + padding)] [--feather PX (8)]
  eqm ood      IMG|FOLDER... [--json]   (folders walked recursively; --json: one line per file)
  eqm calibrate --model ID [--score KIND] FOLDER... | --reset   (fits the model's OOD calibration
               to your in-distribution images, kept in --user-data DIR; --score: for another
               score than the model's own, e.g. mahalanobis-align-pair-classifier, the variant
               that adds the classifier; --reset: back to the model's own)
  eqm models
${IMPORT_HELP}

job options:
${optionLine('count N', JOB.count, '1')}
${optionLine('seed S', JOB.seed, 'random')}
${optionLine('strength S', REPAIR.strength, `the model's benchmarked strength (manifest "studio"), else ${REPAIR.strength.default}`)}
  --${'class A:w'.padEnd(15)} compose: ${COMPOSE.weight.description}
  ${''.padEnd(17)} (${COMPOSE.weight.min} to ${COMPOSE.weight.max}; default the model's benchmarked weight)

sampler options (generate, compose, repair):
${sampler.join('\n')}

common: --model ID  --models DIR (model folder root)  --user-data DIR (imported models, calibrations, int8 model cache)  --batch ROWS (most rows per model call)
  --${'provider P'.padEnd(15)} ${PROVIDER.description}
  ${''.padEnd(17)} (${PROVIDER.choices.map((c) => c.value).join('|')}; default ${PROVIDER.default})
  --${`${CPU_PRECISION.cliFlag} P`.padEnd(15)} ${CPU_PRECISION.description}
  ${''.padEnd(17)} (${CPU_PRECISION.choices.map((c) => `${c.value}: ${c.description}`).join('; ')}; default ${CPU_PRECISION.default})
Images are written as PNG with their full parameters in an iTXt chunk ("eqm-studio").`
}
