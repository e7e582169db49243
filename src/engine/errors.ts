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
