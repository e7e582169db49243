import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-node'
import { onnx } from 'onnx-proto'
import { Engine } from '../src/engine/engine'
import { EngineError } from '../src/engine/errors'
import { QUANTISER_VERSION, quantizeInt8 } from '../src/engine/quantize-int8'
import { externalDataBeside } from '../src/engine/external-data'
import { readPngText } from '../src/shared/png-text'
import { base64ToBytes } from '../src/shared/base64'
import { FIXTURE_MODELS, SHIPPED_MODELS } from './support/paths'
import { writeExternalDataCopy } from './support/external-data-copy'
import { differenceFrom } from '../bench/ort-timing'
import { loadedPrecision } from '../src/engine/model-sessions'
import type { OnnxGradientField } from '../src/engine/onnx-field'

/**
 * int8 dynamic quantisation (src/engine/quantize-int8.ts, settings CPU_PRECISION): what it
 * rewrites, how far the gradient moves, what it refuses, and that the engine option changes
 * results only when on (and says so in them).
 */
const EMBEDDED = join(SHIPPED_MODELS, 'fashion-mnist', 'eqm.onnx')
const FLOAT = onnx.TensorProto.DataType.FLOAT
/** a decoded graph: its repeated fields are arrays (the class type says so; decode's type does not) */
const graphOf = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).graph as onnx.GraphProto

/** A fixed mix of rows: noise, a smooth image, and blends (the states a descent passes through). */
function inputs(rows: number, size: number): Float32Array {
  let s = 12345
  const uniform = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 4294967296
  const x = new Float32Array(rows * size)
  for (let r = 0; r < rows; r++) {
    const t = r / Math.max(1, rows - 1)
    for (let i = 0; i < size; i++) {
      const noise = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
      x[r * size + i] = t * noise + (1 - t) * Math.sin(i / 17)
    }
  }
  return x
}

describe('quantizeInt8 on the embedded model', () => {
  // The conv U-Net has no MatMul: its matrix products are the 8 Gemms (transB 1, bias [N]) of
  // the label/embedding MLP and the per-block embedding projections; its convs stay fp32.
  it('rewrites its 8 Gemms, none of its convs, and the gradient moves by little', async () => {
    const bytes = readFileSync(EMBEDDED)
    const quantised = quantizeInt8(bytes, 'eqm.onnx')
    expect(quantised.matMuls).toBe(0)
    expect(quantised.gemms).toBe(8)
    expect(quantised.bytesAfter).toBeLessThan(quantised.bytesBefore)
    const decoded = onnx.ModelProto.decode(quantised.model)
    const ops = graphOf(quantised.model).node.map((n) => n.opType)
    expect(ops.filter((o) => o === 'DynamicQuantizeMatMul')).toHaveLength(8)
    expect(ops).not.toContain('Gemm')
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(graphOf(bytes).node.filter((n) => n.opType === 'Conv').length)
    expect(decoded.opsetImport.some((o) => o.domain === 'com.microsoft')).toBe(true)

    const rows = 6
    const size = 28 * 28
    const x = new ort.Tensor('float32', inputs(rows, size), [rows, 1, 28, 28])
    const y = new ort.Tensor('int64', BigInt64Array.from([0n, 3n, 7n, 9n, 10n, 10n]), [rows])
    const fp32 = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' })
    const int8 = await ort.InferenceSession.create(quantised.model, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' })
    const g32 = (await fp32.run({ x, y })).grad.data as Float32Array
    const g8 = (await int8.run({ x, y })).grad.data as Float32Array
    const error = differenceFrom(g32, g8)
    console.log(`embedded model, int8 against fp32 gradient: relative L2 ${error.relativeL2.toExponential(2)}, max abs ${error.maxAbs.toExponential(2)}`)
    // Measured 3.1e-3 on these rows with the spatial-noise network (2.0e-3 with the one before;
    // AVX-512 VNNI machine, onnxruntime-node 1.30): only the embedding MLP is int8, and its error
    // reaches the gradient through each block's per-channel shift. The bound is 3x that, room for
    // other CPUs' int8 kernels; a wrong weight scale (/255
    // in place of /127 halves every weight: 0.20) or a transposed Gemm weight (0.41) fails it.
    expect(error.relativeL2).toBeLessThan(1e-2)
    expect(error.relativeL2).toBeGreaterThan(0) // it did run quantised
    await fp32.release()
    await int8.release()
  })
})

/** A small graph with each case the quantiser decides on, and its float reference. */
function smallModel(options: { irVersion?: number; external?: boolean } = {}) {
  const k = 6
  const n = 5
  let s = 7
  const random = (count: number) => Float32Array.from({ length: count }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1)
  const w = random(k * n) // [K, N]: MatMul, quantised, float copy dropped
  const shared = random(n * n) // [N, N]: MatMul and Add read it, float copy kept
  const g = random(n * k) // [N, K] with transB 1: Gemm
  const c = random(n) // [1, N] bias, beta 0.5: a scaled copy
  w[3] = 0
  for (let i = 0; i < k; i++) w[i * n + 2] = 0 // a column of zeros (scale guard)
  const tensor = (name: string, dims: number[], data: Float32Array): onnx.ITensorProto => ({
    name,
    dataType: FLOAT,
    dims,
    rawData: new Uint8Array(data.buffer.slice(0)),
    ...(options.external && name === 'w' ? { dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, rawData: new Uint8Array(0), externalData: [{ key: 'location', value: 'w.bin' }] } : {})
  })
  const attr = (name: string, value: number, float = false): onnx.IAttributeProto =>
    float ? { name, f: value, type: onnx.AttributeProto.AttributeType.FLOAT } : { name, i: value, type: onnx.AttributeProto.AttributeType.INT }
  const info = (name: string, dims: (number | string)[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } }
  })
  const model: onnx.IModelProto = {
    irVersion: options.irVersion ?? 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'small',
      input: [info('a', ['M', k])],
      output: [info('h', ['M', n]), info('u', ['M', n]), info('v', ['M', n])],
      initializer: [tensor('w', [k, n], w), tensor('shared', [n, n], shared), tensor('g', [n, k], g), tensor('c', [1, n], c)],
      node: [
        { opType: 'MatMul', input: ['a', 'w'], output: ['h'], name: 'mm' },
        { opType: 'MatMul', input: ['h', 'shared'], output: ['hs'], name: 'mm_shared' },
        { opType: 'Add', input: ['hs', 'shared'], output: ['u'], name: 'add_shared' }, // [M,N] + [N,N]: M = N here
        { opType: 'Gemm', input: ['a', 'g', 'c'], output: ['v'], name: 'gemm', attribute: [attr('transB', 1), attr('alpha', 2, true), attr('beta', 0.5, true)] },
        { opType: 'MatMul', input: ['a', 'a_t'], output: ['aa'], name: 'mm_activation' } // two activations: left alone
      ]
    }
  }
  // a_t = Transpose(a): the activation product reads no constant
  model.graph!.node!.splice(5, 0, { opType: 'Transpose', input: ['a'], output: ['a_t'], name: 't' })
  model.graph!.output!.push(info('aa', ['M', 'M']))
  const reference = (a: Float32Array, m: number) => {
    const h = new Float32Array(m * n)
    const v = new Float32Array(m * n)
    for (let r = 0; r < m; r++)
      for (let j = 0; j < n; j++) {
        let sum = 0
        let gs = 0
        for (let i = 0; i < k; i++) {
          sum += a[r * k + i] * w[i * n + j]
          gs += a[r * k + i] * g[j * k + i]
        }
        h[r * n + j] = sum
        v[r * n + j] = 2 * gs + 0.5 * c[j]
      }
    return { h, v }
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), reference, k, n }
}

describe('quantizeInt8 on a small graph', () => {
  it('quantises constant-weight MatMul and Gemm, keeps float copies other nodes read, leaves activation products', async () => {
    const { bytes, reference, k, n } = smallModel()
    const quantised = quantizeInt8(bytes, 'small.onnx')
    expect(quantised.matMuls).toBe(2)
    expect(quantised.gemms).toBe(1)
    const graph = graphOf(quantised.model)
    const names = graph.initializer.map((t) => t.name)
    expect(names).toContain('shared') // the Add still reads it
    expect(names).not.toContain('w')
    expect(names).not.toContain('g')
    expect(names).not.toContain('c') // replaced by its beta-scaled [N] copy
    expect(graph.node.find((x) => x.name === 'mm_activation')!.opType).toBe('MatMul')
    const zeroColumnScale = (graph.initializer as onnx.TensorProto[]).find((t) => t.name === 'eqm_int8/w/scale')!
    expect(new Float32Array(new Uint8Array(zeroColumnScale.rawData).buffer)[2]).toBe(1) // (a decoded Buffer is a view: copied first)

    const m = n // the Add broadcasts [M,N] + [N,N]
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.7) * 2)
    const session = await ort.InferenceSession.create(quantised.model, { executionProviders: ['cpu'] })
    const out = await session.run({ a: new ort.Tensor('float32', a, [m, k]) })
    const ref = reference(a, m)
    for (const [name, want] of [['h', ref.h], ['v', ref.v]] as const) {
      const error = differenceFrom(want, out[name].data as Float32Array)
      console.log(`small graph, ${name} int8 against float: relative L2 ${error.relativeL2.toExponential(2)}`)
      // int8 weights (half a step of max|w|/127) and uint8 activations (half a step of range/255):
      // measured 0.5% on these few random products; a wrong scale, layout or a dropped alpha is
      // off by 40% or more
      expect(error.relativeL2, name).toBeLessThan(0.02)
    }
    await session.release()
  })

  it('reads external data beside the model file and brings it inside the int8 model (big models keep their weights outside)', async () => {
    // the embedded model with every weight over 1 kB moved to eqm.onnx.data, as the importer writes XL/2
    const folder = mkdtempSync(join(tmpdir(), 'eqm-int8-external-'))
    try {
      const inline = readFileSync(EMBEDDED)
      const { dataBytes } = writeExternalDataCopy(EMBEDDED, folder)
      const fromExternal = quantizeInt8(readFileSync(join(folder, 'eqm.onnx')), 'eqm.onnx', externalDataBeside(join(folder, 'eqm.onnx')))
      const fromInline = quantizeInt8(inline, 'eqm.onnx')
      expect(fromExternal.gemms).toBe(fromInline.gemms)
      const rows = 3
      const x = new ort.Tensor('float32', inputs(rows, 784), [rows, 1, 28, 28])
      const y = new ort.Tensor('int64', BigInt64Array.from([1n, 5n, 10n]), [rows])
      const run = async (bytes: Uint8Array) => (await (await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] })).run({ x, y })).grad.data as Float32Array
      expect(Array.from(await run(fromExternal.model))).toEqual(Array.from(await run(fromInline.model)))
      // torch's form: one file per weight, location only (no offset, no length: the whole file)
      const perWeight = onnx.ModelProto.decode(inline)
      let files = 0
      for (const t of (perWeight.graph as onnx.GraphProto).initializer as onnx.TensorProto[]) {
        if (t.rawData.byteLength < 1024) continue
        const name = `w${files++}`
        writeFileSync(join(folder, name), t.rawData)
        t.externalData = [{ key: 'location', value: name }]
        t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL
        t.rawData = new Uint8Array(0)
      }
      writeFileSync(join(folder, 'per-weight.onnx'), onnx.ModelProto.encode(perWeight).finish())
      const fromFiles = quantizeInt8(readFileSync(join(folder, 'per-weight.onnx')), 'per-weight.onnx', externalDataBeside(join(folder, 'per-weight.onnx')))
      expect(Array.from(await run(fromFiles.model))).toEqual(Array.from(await run(fromInline.model)))
      // a location that leaves the folder, or a range past the file's end, is refused
      const reader = externalDataBeside(join(folder, 'eqm.onnx'))
      expect(() => reader('../eqm.onnx.data', 0, 4)).toThrow(/not a file name beside the model/)
      expect(() => reader('eqm.onnx.data', dataBytes - 2, 4)).toThrow(/shorter than its weights say/)
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })

  it('QUANTISER_VERSION goes with the bytes the rewrite writes (the int8 cache keys on it)', () => {
    // Failing here after a change to quantize-int8.ts: the rewrite now writes other bytes, and
    // models cached by the old one must not be served. Bump QUANTISER_VERSION and put the new
    // pair here.
    const digest = createHash('sha256').update(quantizeInt8(smallModel().bytes, 'small.onnx').model).digest('hex')
    expect({ QUANTISER_VERSION, digest }).toEqual({ QUANTISER_VERSION: 1, digest: 'a70df6448745de0a50cf5b3e89621ccd22ab0f8ceedd618dfbe3a49de4363bdf' })
  })

  it('refuses newer IR versions and external data without a reader, as the step builder does', () => {
    const refusal = (bytes: Uint8Array) => {
      try {
        quantizeInt8(bytes, 'small.onnx')
      } catch (error) {
        return error
      }
      return null
    }
    const newer = refusal(smallModel({ irVersion: 9 }).bytes)
    expect(newer).toBeInstanceOf(EngineError)
    expect((newer as EngineError).code).toBe('model-invalid')
    expect((newer as EngineError).message).toMatch(/small\.onnx: no int8 model: IR version 9/)
    const external = refusal(smallModel({ external: true }).bytes)
    expect((external as EngineError).code).toBe('model-invalid')
    expect((external as EngineError).message).toMatch(/external data/)
    expect(() => quantizeInt8(new Uint8Array([0x0a, 0xff]), 'broken.onnx')).toThrow()
  })
})

describe('the CPU precision option', () => {
  const engine = (cpuPrecision?: 'fp32' | 'int8') => new Engine({ modelRoots: [SHIPPED_MODELS], provider: 'cpu', frameIntervalMs: 0, shippedModels: null, cpuPrecision })
  const engines = { unset: engine(), fp32: engine('fp32'), int8: engine('int8') }
  afterAll(async () => {
    for (const e of Object.values(engines)) await e.dispose()
  })

  it('changes the images only when on, and results record it', async () => {
    const job = { modelId: 'fashion-mnist', seed: 3, count: 2, conditions: [{ classIndex: 7, weight: 1 }], previewEvery: 0, sampler: { maxSteps: 20 } }
    const run = (which: keyof typeof engines) => engines[which].call('generate', { ...job, jobId: which })
    const unset = await run('unset')
    const fp32 = await run('fp32')
    const int8 = await run('int8')
    const png = (r: typeof unset, i: number) => Buffer.from(base64ToBytes(r.images[i].png))
    for (let i = 0; i < 2; i++) expect(png(fp32, i).equals(png(unset, i)), `image ${i}: fp32 is the default`).toBe(true)
    expect(unset.params.precision).toBeUndefined()
    expect(int8.params.precision).toBe('int8')
    expect(JSON.parse(readPngText(png(int8, 0))!).precision).toBe('int8')
    expect(JSON.parse(readPngText(png(fp32, 0))!).precision).toBeUndefined()
    expect([0, 1].some((i) => !png(int8, i).equals(png(fp32, i)))).toBe(true)
    // same seed, same parameters (int8 included), same bytes
    const again = await run('int8')
    for (let i = 0; i < 2; i++) expect(png(again, i).equals(png(int8, i))).toBe(true)
    // provider "auto" (GPU providers probed first, then the CPU here): int8 once the CPU is chosen
    const auto = new Engine({ modelRoots: [SHIPPED_MODELS], provider: 'auto', frameIntervalMs: 0, shippedModels: null, cpuPrecision: 'int8' })
    try {
      const viaAuto = await auto.call('generate', { ...job, jobId: 'auto' })
      if (viaAuto.params.provider === 'cpu') {
        expect(viaAuto.params.precision).toBe('int8')
        for (let i = 0; i < 2; i++) expect(png(viaAuto, i).equals(png(int8, i))).toBe(true)
      } else expect(viaAuto.params.precision).toBeUndefined()
    } finally {
      await auto.dispose()
    }
  }, 120_000)
})

describe('engine.setCpuPrecision: the studio switches precision at runtime', () => {
  const engine = new Engine({ modelRoots: [SHIPPED_MODELS, FIXTURE_MODELS], provider: 'cpu', frameIntervalMs: 0, shippedModels: null })
  afterAll(() => engine.dispose())

  it('validates its payload: one of the setting\'s choices, nothing else', async () => {
    for (const params of [{ precision: 'int4' }, { precision: 8 }, {}, { precision: 'int8', provider: 'cpu' }, null]) {
      const refused = await engine.call('engine.setCpuPrecision', params).then(() => null, (error: EngineError) => error)
      expect(refused, JSON.stringify(params)).toBeInstanceOf(EngineError)
      expect(refused!.code).toBe('bad-request')
      expect(refused!.message).toMatch(/^engine\.setCpuPrecision: /)
    }
    expect((await engine.call('engine.info', {})).cpuPrecision).toEqual({ requested: 'fp32', loaded: [] })
  })

  it('reloads the gradient model: the same seed gives other bytes in int8, recorded, and fp32 again gives the first bytes', async () => {
    const job = { modelId: 'fashion-mnist', seed: 11, count: 2, conditions: [{ classIndex: 2, weight: 1 }], previewEvery: 0, sampler: { maxSteps: 15 } }
    const pngs = (r: { images: { png: string }[] }) => r.images.map((image) => Buffer.from(base64ToBytes(image.png)))
    const fp32 = await engine.call('generate', { ...job, jobId: 'fp32' })
    const fp32Field = await engine.field(engine.model('fashion-mnist'))
    expect(fp32.params.precision).toBeUndefined()

    const info = await engine.call('engine.setCpuPrecision', { precision: 'int8' })
    expect(info.cpuPrecision.requested).toBe('int8')
    expect(info.cpuPrecision.loaded).toContainEqual({ modelId: 'fashion-mnist', precision: 'int8' })
    const int8Field = await engine.field(engine.model('fashion-mnist'))
    expect(int8Field).not.toBe(fp32Field)
    expect(int8Field.precision).toBe('int8')
    const int8 = await engine.call('generate', { ...job, jobId: 'int8' })
    expect(int8.params.precision).toBe('int8')
    expect(JSON.parse(readPngText(pngs(int8)[0])!).precision).toBe('int8')
    expect(pngs(int8).some((png, i) => !png.equals(pngs(fp32)[i]))).toBe(true)

    // a model with nothing to quantise runs fp32, and engine info says why
    await engine.call('generate', { ...job, modelId: 'quadratic', jobId: 'quadratic', conditions: [{ classIndex: 1, weight: 1 }] })
    const quadratic = (await engine.call('engine.info', {})).cpuPrecision.loaded.find((l) => l.modelId === 'quadratic')
    expect(quadratic).toMatchObject({ precision: 'fp32', reason: expect.stringMatching(/no MatMul or Gemm/) })

    const back = await engine.call('engine.setCpuPrecision', { precision: 'fp32' })
    expect(back.cpuPrecision).toEqual({ requested: 'fp32', loaded: expect.arrayContaining([{ modelId: 'fashion-mnist', precision: 'fp32' }, { modelId: 'quadratic', precision: 'fp32' }]) })
    const again = await engine.call('generate', { ...job, jobId: 'fp32-again' })
    expect(again.params.precision).toBeUndefined()
    pngs(again).forEach((png, i) => expect(png.equals(pngs(fp32)[i]), `image ${i}`).toBe(true))
  }, 120_000)

  it('says a GPU provider ignores it', () => {
    const onCuda = { provider: 'cuda', precision: 'fp32', precisionProblem: null } as unknown as OnnxGradientField
    expect(loadedPrecision('m', 'int8', onCuda)).toEqual({ modelId: 'm', precision: 'fp32', reason: 'CUDA runs the model as exported: CPU precision applies to the CPU provider only' })
    expect(loadedPrecision('m', 'fp32', onCuda)).toEqual({ modelId: 'm', precision: 'fp32' })
  })
})
