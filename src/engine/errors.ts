import type { EngineErrorCode, EngineErrorPayload } from '../shared/engine-protocol'

/** An error the user can act on: its message is shown as is, so it names the problem. */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'EngineError'
  }

  toPayload(): EngineErrorPayload {
    return { code: this.code, message: this.message }
  }
}

export function toErrorPayload(error: unknown): EngineErrorPayload {
  if (error instanceof EngineError) return error.toPayload()
  const message = error instanceof Error ? error.message : String(error)
  return { code: 'internal', message }
}

/** A gradient model returned NaN or ±Infinity: the one message for the host and the graph descent paths. */
export function nonFiniteGradients(modelId: string | undefined): EngineError {
  return new EngineError('model-output', `${modelId ? `${modelId}: ` : ''}the model returned NaN or infinite gradients`)
}
