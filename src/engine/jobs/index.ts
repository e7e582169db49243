/** The engine's jobs, one module each; the shared parts (context, frames, result) beside them. */
export { runGenerate } from './generate-job'
export { runRepair } from './repair-job'
export { runClassify, runOod, unconditionalEnergies } from './image-jobs'
export { resolveSampler, type EnergyModel, type JobModels, type JobRuntime } from './job-context'
