import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface, type Interface } from 'node:readline'

/**
 * PyTorch eager on the same weights as an ONNX model, one timed call per request
 * (training/bench_torch.py --serve), so the CPU benchmark can interleave torch and ORT calls
 * one by one: on a shared machine both then see the same load.
 */
export class TorchServer {
  private readonly lines: Interface
  private readonly pending: ((line: string) => void)[] = []
  private stderr = ''

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })
    this.lines.on('line', (line) => this.pending.shift()?.(line))
    child.stderr.on('data', (chunk) => (this.stderr += String(chunk)))
  }

  /** Starts the server; resolves with its first line (the weight check, FLOPs per row, versions). */
  static async start(python: string, script: string, onnxFile: string, fixture: string): Promise<{ server: TorchServer; info: { torch: string; parityMaxAbs: number; flopsPerRow: number } }> {
    return TorchServer.spawn(python, [script, '--onnx', onnxFile, '--fixture', fixture, '--serve'])
  }

  /** Any server script that prints one JSON line, then answers timing requests. */
  static async spawn<Info>(python: string, args: string[]): Promise<{ server: TorchServer; info: Info }> {
    const server = new TorchServer(spawn(python, args))
    const first = await server.next()
    return { server, info: JSON.parse(first) as Info }
  }

  private next(): Promise<string> {
    return new Promise((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`bench_torch.py exited (${code}): ${this.stderr.trim().split('\n').pop()}`))
      this.child.once('exit', exited)
      // the listener goes with its answer: one per request would pile up over a long benchmark
      this.pending.push((line) => {
        this.child.off('exit', exited)
        resolve(line)
      })
    })
  }

  /** ms of one model call of `batch` rows, or of one n x n matmul */
  async time(kind: 'model' | 'matmul', n: number, threads: number): Promise<number> {
    const reply = this.next()
    this.child.stdin.write(`${kind} ${n} ${threads}\n`)
    return Number(await reply)
  }

  stop(): void {
    this.child.stdin.end()
    this.lines.close()
  }
}
