import type { GradientField } from './gradient-field'

interface Request {
  x: Float32Array
  labels: Int32Array
  rows: number
  resolve: (out: Float32Array) => void
  reject: (error: unknown) => void
}

/**
 * Packs the rows of concurrently running jobs into shared model calls (issue 13 item 4).
 * Each job descends through its own view (a GradientField); a call goes out when every
 * registered view is waiting for one, or when the waiting rows fill maxBatchRows. Views are
 * served round robin from the one after the last served, so no job is always last to get in;
 * a request bigger than what is left waits for the next call, never split.
 * CPU onnxruntime gave bit-identical rows whatever batch they ran in (measured on this model),
 * but that is not promised for every provider, so packing is an engine option that is off by
 * default, and results record that it was on (result params rowPacking).
 */
export class RowPacker {
  private readonly views: PackedView[] = []
  private readonly waiting = new Map<PackedView, Request>()
  private nextStart = 0
  private running = false
  /** model calls made, and how many of them carried rows of more than one job */
  readonly stats = { calls: 0, sharedCalls: 0 }

  constructor(readonly field: GradientField) {}

  /** A job's view of the field; close() it when the job ends, or the others wait for it. */
  open(): PackedView {
    const view = new PackedView(this, this.field)
    this.views.push(view)
    return view
  }

  close(view: PackedView): void {
    const index = this.views.indexOf(view)
    if (index >= 0) this.views.splice(index, 1)
    this.flushIfReady()
  }

  request(view: PackedView, x: Float32Array, labels: Int32Array, rows: number): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.waiting.set(view, { x, labels, rows, resolve, reject })
      this.flushIfReady()
    })
  }

  private flushIfReady(): void {
    if (this.running || this.waiting.size === 0) return
    const waitingRows = [...this.waiting.values()].reduce((n, r) => n + r.rows, 0)
    if (this.waiting.size < this.views.length && waitingRows < this.field.maxBatchRows) return
    void this.flush()
  }

  private async flush(): Promise<void> {
    this.running = true
    const order = this.views.map((_, i) => this.views[(this.nextStart + i) % this.views.length])
    const taken: [PackedView, Request][] = []
    let rows = 0
    for (const view of order) {
      const request = this.waiting.get(view)
      if (!request || (taken.length > 0 && rows + request.rows > this.field.maxBatchRows)) continue
      taken.push([view, request])
      rows += request.rows
      this.waiting.delete(view)
    }
    this.nextStart = (this.views.indexOf(taken[taken.length - 1][0]) + 1) % Math.max(1, this.views.length)
    const size = this.field.sampleSize
    const x = new Float32Array(rows * size)
    const labels = new Int32Array(rows)
    let offset = 0
    for (const [, request] of taken) {
      x.set(request.x.subarray(0, request.rows * size), offset * size)
      labels.set(request.labels.subarray(0, request.rows), offset)
      offset += request.rows
    }
    this.stats.calls++
    if (taken.length > 1) this.stats.sharedCalls++
    try {
      const out = await this.field.evaluate(x, labels, rows)
      offset = 0
      for (const [, request] of taken) {
        request.resolve(out.slice(offset * size, (offset + request.rows) * size))
        offset += request.rows
      }
    } catch (error) {
      for (const [, request] of taken) request.reject(error)
    } finally {
      this.running = false
      this.flushIfReady()
    }
  }
}

/** One job's way to the shared calls; it has no step graph (packed jobs descend on the host path). */
export class PackedView implements GradientField {
  readonly sampleSize: number
  readonly nullClass: number
  readonly maxBatchRows: number
  readonly provider?: string
  readonly precision?: 'fp32' | 'int8'

  constructor(
    private readonly packer: RowPacker,
    field: GradientField
  ) {
    this.sampleSize = field.sampleSize
    this.nullClass = field.nullClass
    this.maxBatchRows = field.maxBatchRows
    this.provider = field.provider
    this.precision = field.precision
  }

  evaluate(x: Float32Array, labels: Int32Array, rows: number): Promise<Float32Array> {
    return this.packer.request(this, x, labels, rows)
  }

  close(): void {
    this.packer.close(this)
  }
}
