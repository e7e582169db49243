import { describe, expect, it } from 'vitest'
import { FrameGate } from './frame-gate'
import type { Frame } from '../shared/frames'

const frame = (step: number): Omit<Frame, 'seq'> => ({
  jobId: 'j',
  step,
  maxSteps: 100,
  gradNorms: [],
  active: 1,
  preview: { width: 1, height: 1, channels: 1, columns: 1, rows: 1, tileWidth: 1, tileHeight: 1, data: 'AA==' }
})

describe('FrameGate', () => {
  it('keeps one frame in flight and, while waiting for the ack, only the newest', () => {
    let clock = 0
    const sent: Frame[] = []
    const gate = new FrameGate((f) => sent.push(f), 0, () => clock)
    gate.offer(frame(1))
    expect(gate.wouldSendNow()).toBe(false) // awaiting the ack of step 1
    gate.offer(frame(2))
    gate.offer(frame(3))
    expect(sent.map((f) => f.step)).toEqual([1])
    gate.ack(sent[0].seq)
    expect(sent.map((f) => f.step)).toEqual([1, 3])
    gate.ack(sent[1].seq)
    expect(gate.wouldSendNow()).toBe(true)
    expect(gate.stats).toEqual({ offered: 3, sent: 2 })
  })

  it("sends the job's last frame at once, past a frame in flight and the interval, and nothing after it", () => {
    let clock = 0
    const sent: Frame[] = []
    const gate = new FrameGate((f) => sent.push(f), 30, () => clock)
    gate.offer(frame(1))
    gate.offer(frame(2)) // waits for the ack of step 1
    gate.offerLast(frame(3))
    expect(sent.map((f) => f.step)).toEqual([1, 3])
    expect(sent[1].seq).toBeGreaterThan(sent[0].seq)
    gate.ack(sent[0].seq)
    gate.offer(frame(4))
    clock = 100
    gate.ack(sent[1].seq)
    expect(sent.map((f) => f.step)).toEqual([1, 3])
    expect(gate.stats).toEqual({ offered: 3, sent: 2 })
  })

  it('sends at most one frame per interval', async () => {
    let clock = 0
    const sent: Frame[] = []
    const gate = new FrameGate((f) => sent.push(f), 30, () => clock)
    gate.offer(frame(1))
    gate.ack(sent[0].seq)
    clock = 10
    expect(gate.wouldSendNow()).toBe(false)
    gate.offer(frame(2)) // waits for the interval on a timer
    expect(sent).toHaveLength(1)
    clock = 40
    await new Promise((r) => setTimeout(r, 40))
    expect(sent.map((f) => f.step)).toEqual([1, 2])
    gate.close()
  })

  it('sends nothing after close', () => {
    const sent: Frame[] = []
    const gate = new FrameGate((f) => sent.push(f), 0, () => 0)
    gate.close()
    gate.offer(frame(1))
    expect(sent).toEqual([])
    expect(gate.wouldSendNow()).toBe(false)
  })
})
