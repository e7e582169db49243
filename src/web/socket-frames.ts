import type { RawData } from 'ws'
import type { EngineMessage } from '../shared/engine-protocol'
import { describeDepthProblem } from '../shared/wire-limits'
import { isHostCommand } from '../shared/process-messages'

/** What the server does with one frame from a browser socket. */
export type FrameVerdict =
  | { action: 'forward'; message: unknown }
  | { action: 'host-command'; command: string }
  | { action: 'reply'; reply: EngineMessage }
  | { action: 'close'; code: number; reason: string }

/** WebSocket close code for a frame type the endpoint does not accept (RFC 6455 7.4.1). */
export const CLOSE_UNSUPPORTED_DATA = 1003

/**
 * Judges one frame before anything is forwarded or serialised again: binary frames close the
 * socket, text that is not JSON or is nested past the shared limit gets an error reply (with
 * the request's id where there is one). ws itself closes over-size (1009) and invalid UTF-8
 * (1007) frames before they get here. JSON.parse is iterative in V8, so a deep text cannot
 * overflow it; JSON.stringify (IPC to the engine) recurses, hence the depth check first.
 */
export function judgeFrame(data: RawData, isBinary: boolean): FrameVerdict {
  if (isBinary) return { action: 'close', code: CLOSE_UNSUPPORTED_DATA, reason: 'text frames of JSON only' }
  let message: unknown
  try {
    message = JSON.parse(data.toString())
  } catch (error) {
    return { action: 'reply', reply: badRequest(-1, `malformed JSON: ${(error as Error).message}`) }
  }
  const id = requestId(message)
  const depth = describeDepthProblem(message, 'the message')
  if (depth) return { action: 'reply', reply: badRequest(id, depth) }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { action: 'reply', reply: badRequest(id, 'a message must be a JSON object') }
  }
  if (isHostCommand(message)) {
    const command: unknown = message.command
    if (command === 'restart-engine') return { action: 'host-command', command }
    return { action: 'reply', reply: badRequest(id, `unknown host command ${JSON.stringify(command)}`) }
  }
  return { action: 'forward', message }
}

function requestId(message: unknown): number {
  const id = (message as { id?: unknown } | null)?.id
  return typeof id === 'number' && Number.isFinite(id) ? id : -1
}

function badRequest(id: number, text: string): EngineMessage {
  return { kind: 'response', id, ok: false, error: { code: 'bad-request', message: text } }
}
