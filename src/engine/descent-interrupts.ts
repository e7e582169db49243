import type { DescentOptions, SampleOutcome } from './sampler'
import { EngineError } from './errors'

/**
 * Checked before each step by both descent paths: cancel throws (nothing is kept), stop-and-keep
 * marks the samples still moving as stopped early and ends the descent (they become results).
 */
export function interrupted(options: Pick<DescentOptions, 'isCancelled' | 'isStopped'>, active: readonly number[], outcomes: SampleOutcome[]): boolean {
  if (options.isCancelled?.()) throw new EngineError('cancelled', 'the job was cancelled')
  if (!options.isStopped?.()) return false
  for (const i of active) outcomes[i].stopped = 'stopped-early'
  return true
}
