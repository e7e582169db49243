import type { Frame } from '../shared/frames'

/**
 * Decides which frames reach a client: at most one in flight (the next waits for the ack
 * of the last), at most one per minIntervalMs, and while waiting only the newest is kept.
 * So a slow window sees fewer frames; it never slows the sampler, which only calls offer().
 */
export class FrameGate {
  private awaitingSeq: number | null = null
  private pending: Frame | null = null
  private lastSentAt = -Infinity
  private timer: ReturnType<typeof setTimeout> | null = null
  private seq = 0
  private closed = false

  constructor(
    private readonly send: (frame: Frame) => void,
    private readonly minIntervalMs = 33,
    private readonly now: () => number = () => performance.now()
  ) {}

  /** frames offered, frames sent: for benchmarks and tests */
  readonly stats = { offered: 0, sent: 0 }

  offer(frame: Omit<Frame, 'seq'>): void {
    if (this.closed) return
    this.stats.offered++
    this.pending = { ...frame, seq: ++this.seq }
    this.flush()
  }

  /**
   * The job's last frame goes out now, past the gate: it carries the final states' gradient
   * norms and the one exact energy pass (with the offsets that put earlier frames on its
   * scale), which no later frame would bring. Dropping it with a frame in flight left the
   * plot short of its last steps and its energy line on the "change since the start" scale.
   * A slow window receives at most this one extra frame. Nothing is sent after it.
   */
  offerLast(frame: Omit<Frame, 'seq'>): void {
    if (this.closed) return
    this.stats.offered++
    this.stats.sent++
    const last = { ...frame, seq: ++this.seq }
    this.close()
    this.send(last)
  }

  /** Whether a frame offered now would go out at once (nothing in flight, interval passed). */
  wouldSendNow(): boolean {
    return !this.closed && this.awaitingSeq === null && this.timer === null && this.now() - this.lastSentAt >= this.minIntervalMs
  }

  ack(seq: number): void {
    if (this.awaitingSeq !== null && seq >= this.awaitingSeq) {
      this.awaitingSeq = null
      this.flush()
    }
  }

  close(): void {
    this.closed = true
    this.pending = null
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private flush(): void {
    if (!this.pending || this.awaitingSeq !== null || this.timer) return
    const wait = this.lastSentAt + this.minIntervalMs - this.now()
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null
        this.flush()
      }, wait)
      return
    }
    const frame = this.pending
    this.pending = null
    this.awaitingSeq = frame.seq
    this.lastSentAt = this.now()
    this.stats.sent++
    this.send(frame)
  }
}
