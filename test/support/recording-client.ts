import type { EngineMessage } from '../../src/shared/engine-protocol'
import type { Frame } from '../../src/shared/frames'
import type { Engine, EngineSink } from '../../src/engine/engine'

/** A client that records what the engine sends and acks every frame, as the renderer does. */
export class RecordingClient implements EngineSink {
  readonly messages: EngineMessage[] = []
  readonly frames: Frame[] = []
  onFrame: ((frame: Frame) => void) | null = null

  constructor(private readonly engine: Engine, private readonly autoAck = true) {}

  send(message: EngineMessage): void {
    this.messages.push(message)
    if (message.kind === 'event' && message.event === 'frame') {
      this.frames.push(message.data)
      this.onFrame?.(message.data)
      if (this.autoAck) this.engine.receive(this, { kind: 'ack', jobId: message.data.jobId, seq: message.data.seq })
    }
  }

  jobStates(jobId: string): string[] {
    return this.messages.flatMap((m) => (m.kind === 'event' && m.event === 'job' && m.data.jobId === jobId ? [m.data.state] : []))
  }
}
