import * as ort from 'onnxruntime-node'
import { onnx } from 'onnx-proto'

/** Shared by the CPU and device benchmarks: median timings of onnxruntime-node calls. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

export function round(x: number): number {
  return Number(x.toPrecision(4))
}

/**
 * The fastest of `repeats` calls, in ms. On a shared, loaded machine the minimum is the least
 * disturbed measure of what the code can do; both sides of every ratio use it
 * (training/bench_torch.py too).
 */
export async function timeCalls(run: () => Promise<unknown>, repeats: number, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await run()
  const times: number[] = []
  for (let i = 0; i < repeats; i++) {
    const t = performance.now()
    await run()
    times.push(performance.now() - t)
  }
  return Math.min(...times)
}

/** How far `other` is from `reference`: relative L2 (||other - reference|| / ||reference||) and max abs difference. */
export function differenceFrom(reference: Float32Array, other: Float32Array): { relativeL2: number; maxAbs: number } {
  let diff = 0
  let norm = 0
  let maxAbs = 0
  for (let i = 0; i < reference.length; i++) {
    diff += (other[i] - reference[i]) ** 2
    norm += reference[i] ** 2
    maxAbs = Math.max(maxAbs, Math.abs(other[i] - reference[i]))
  }
  return { relativeL2: Math.sqrt(diff / norm), maxAbs }
}

/** Inputs x [B, C, H, W] (random), y [B] (class 0) for a gradient model. */
export function gradientInputs(batch: number, shape: readonly number[]): Record<string, ort.Tensor> {
  const size = shape.reduce((a, b) => a * b, 1)
  const x = Float32Array.from({ length: batch * size }, (_, i) => Math.sin(i * 12.9898) * 0.9)
  return { x: new ort.Tensor('float32', x, [batch, ...shape]), y: new ort.Tensor('int64', new BigInt64Array(batch), [batch]) }
}

/** A one-node fp32 MatMul model (n x n times n x n): the tightest fp32 kernel ORT has, for the CPU's peak. */
export function matmulModel(n: number): Uint8Array {
  const FLOAT = onnx.TensorProto.DataType.FLOAT
  const info = (name: string) => ({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } } })
  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'matmul', node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }], input: [info('a'), info('b')], output: [info('c')] }
  }
  return onnx.ModelProto.encode(model).finish()
}

/** fp32 GFLOP/s of an n x n MatMul on this provider and thread count. */
export async function matmulGflops(n: number, options: ort.InferenceSession.SessionOptions, repeats: number): Promise<number> {
  const session = await ort.InferenceSession.create(matmulModel(n), options)
  const data = Float32Array.from({ length: n * n }, (_, i) => Math.cos(i))
  const feeds = { a: new ort.Tensor('float32', data, [n, n]), b: new ort.Tensor('float32', data, [n, n]) }
  const ms = await timeCalls(() => session.run(feeds), repeats)
  await session.release()
  return (2 * n ** 3) / ms / 1e6
}
