import { onnx } from 'onnx-proto'
import { EngineError } from './errors'

/**
 * int8 dynamic quantisation of a gradient model, at load time, for the CPU provider (the
 * setting CPU_PRECISION in src/shared/settings.ts). Built here because the usual tool,
 * onnxruntime's Python quantiser, is not available to the engine (it is Python, and no
 * onnxruntime Python package is installed here); the edit is small enough to own.
 *
 * Each `MatMul` whose second input is a constant float weight [K, N], and each `Gemm` with a
 * constant weight (transA 0; transB 0 or 1; alpha and beta folded in; bias absent or [N] / [1, N]),
 * becomes onnxruntime's contrib op com.microsoft.DynamicQuantizeMatMul:
 *   inputs  A float, B int8 [K, N], b_scale float [N], b_zero_point int8 [N] (zeros), bias float [N] (optional)
 *   output  Y float = A B (+ bias), where onnxruntime quantises A to uint8 at run time, per call
 *           (per tensor, from its own min and max), and B is dequantised as b_scale[n] * B[k, n].
 * Weights: symmetric per output column, scale = max_k |w[k, n]| / 127, so zero stays exactly zero
 * and each column uses its own range (one large column does not flatten the others). A column of
 * zeros gets scale 1 (any scale represents it exactly). Weights with a non-finite value leave
 * their node in float.
 *
 * Left in float, on purpose:
 * - convolutions: onnxruntime has no fused dynamic-quantised Conv (it would take the chain
 *   DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul per conv); the transformers this option
 *   is for have one conv (the patch embedding, under 1% of their FLOPs), and in the pixel U-Net
 *   every layer is a conv, where the error would compound all the way to the gradient.
 * - products of two activations (attention's QK^T and AV): nothing constant to quantise ahead.
 * - weights held in Constant nodes rather than initializers (torch's exporter writes initializers),
 *   and initializers that are also graph inputs (a caller may replace them, so they are not constant).
 * A float weight that some other node also reads keeps its float copy beside the int8 one.
 *
 * Accuracy caveat: on x86 CPUs without VNNI (AVX2 only), onnxruntime's u8 x s8 kernel adds
 * pairs of products in 16 bits with saturation, which full-range int8 weights can hit; the error
 * measured in the tests and the bench is that of the machine they ran on (which had VNNI).
 *
 * Limits, as step-graph.ts: onnx-proto knows the ONNX 1.10 schema (IR 8), so newer IR versions are
 * refused (their newer fields would be dropped). Weights in external data files are read through
 * the caller's reader (onnx-field.ts reads them beside the model file) and brought inside the
 * int8 model; without a reader they are refused.
 */
export interface Int8Model {
  /** the quantised model's bytes */
  model: Uint8Array
  /** MatMul and Gemm nodes now DynamicQuantizeMatMul */
  matMuls: number
  gemms: number
  /** model sizes before and after, bytes */
  bytesBefore: number
  bytesAfter: number
}

/**
 * The rewrite's version: part of the int8 disk cache's key (int8-cache.ts), so a model quantised
 * by an older rewrite is never served. Bump it with any change to the bytes quantizeInt8 writes
 * for a given model (test/quantize-int8.test.ts pins them on a small graph and says so).
 */
export const QUANTISER_VERSION = 1

const FLOAT = onnx.TensorProto.DataType.FLOAT
const INT8 = onnx.TensorProto.DataType.INT8
const P = 'eqm_int8/' // prefix of every added name, so nothing collides with the model's own
const MS_DOMAIN = 'com.microsoft'

/**
 * Reads `length` bytes at `offset` of an external data file named in the model (ONNX
 * external_data "location"), beside the model file; the caller decides where that is. Without a
 * length (the ONNX spec allows it; torch writes one file per weight that way): to the file's end.
 */
export type ExternalDataReader = (location: string, offset: number, length?: number) => Uint8Array

export function quantizeInt8(gradientModel: Uint8Array, fileName: string, readExternal?: ExternalDataReader): Int8Model {
  const model = onnx.ModelProto.decode(gradientModel)
  const refuse = (why: string): never => {
    throw new EngineError('model-invalid', `${fileName}: no int8 model: ${why}`)
  }
  const irVersion = Number(model.irVersion)
  if (irVersion > 8) refuse(`IR version ${irVersion} is newer than the quantiser reads (8)`)
  const graph = (model.graph ?? refuse('no graph')) as onnx.GraphProto
  // Big models (XL/2, 2.7 GB in fp32) keep their weights in external data files; the int8 model
  // is a quarter of that, so it is written whole, with every weight brought inside it (a model
  // made from bytes has no folder from which an external file could be found)
  let externalBytes = 0
  for (const t of graph.initializer as onnx.TensorProto[]) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue
    if (!readExternal) refuse('its weights are in external data files')
    const entry = (key: string) => t.externalData.find((e) => e.key === key)?.value
    const location = entry('location') ?? refuse(`weight ${t.name} names no external file`)
    const offset = Number(entry('offset') ?? 0)
    const stated = entry('length')
    const length = stated === undefined ? undefined : Number(stated)
    if (!(Number.isSafeInteger(offset) && offset >= 0 && (length === undefined || (Number.isSafeInteger(length) && length >= 0)))) refuse(`weight ${t.name} has a bad offset or length`)
    t.rawData = readExternal!(location, offset, length)
    t.externalData = []
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT
    externalBytes += t.rawData.byteLength
  }

  // constants: initializers that no graph input overrides
  const inputNames = new Set(graph.input.map((i) => i.name))
  const constants = new Map((graph.initializer as onnx.TensorProto[]).filter((t) => !inputNames.has(t.name)).map((t) => [t.name, t]))
  // every read of a name: the top-level nodes', the graph outputs', and subgraphs' (which may
  // read outer names), so a weight is dropped only where every reader was quantised
  const reads = new Map<string, number>()
  const read = (name: string) => reads.set(name, (reads.get(name) ?? 0) + 1)
  const readSubgraph = (g: onnx.IGraphProto) => {
    for (const n of g.node ?? []) {
      for (const i of n.input ?? []) read(i)
      for (const a of n.attribute ?? []) for (const sub of [a.g, ...(a.graphs ?? [])]) if (sub) readSubgraph(sub)
    }
    for (const o of g.output ?? []) if (o.name) read(o.name)
  }
  readSubgraph(graph)

  const added: onnx.ITensorProto[] = []
  const quantised = new Map<string, { weight: string; scale: string; zero: string } | null>()
  const quantisedReads = new Map<string, number>()
  let matMuls = 0
  let gemms = 0

  /** the int8 copy of w (or of its transpose, times alpha), made once per distinct use */
  const int8Weight = (w: onnx.TensorProto, transpose: boolean, alpha: number) => {
    const key = `${w.name}|${transpose}|${alpha}`
    if (quantised.has(key)) return quantised.get(key)!
    const [rows, cols] = w.dims.map(Number)
    const [k, n] = transpose ? [cols, rows] : [rows, cols]
    const values = floats(w)
    // both passes walk the weights in memory order (B/2 and XL/2 hold 0.1-0.7 billion of them):
    // values is [k, n] as stored, or [n, k] when the node transposes it
    const maxAbs = new Float64Array(n)
    let finite = true
    if (!transpose) {
      for (let kk = 0; kk < k; kk++) {
        const row = kk * n
        for (let nn = 0; nn < n; nn++) {
          const a = Math.abs(values[row + nn])
          if (!(a < Infinity)) finite = false // NaN or infinite
          if (a > maxAbs[nn]) maxAbs[nn] = a
        }
      }
    } else {
      for (let nn = 0; nn < n; nn++) {
        const row = nn * k
        let max = 0
        for (let kk = 0; kk < k; kk++) {
          const a = Math.abs(values[row + kk])
          if (!(a < Infinity)) finite = false
          if (a > max) max = a
        }
        maxAbs[nn] = max
      }
    }
    if (!finite || !Number.isFinite(alpha)) {
      quantised.set(key, null)
      return null
    }
    const scales = new Float32Array(n)
    for (let nn = 0; nn < n; nn++) {
      const max = Math.abs(alpha) * maxAbs[nn]
      scales[nn] = max > 0 ? max / 127 : 1
    }
    // alpha / scale per column, so each weight costs one product; |alpha v / scale| <= 127 by
    // construction, and the Int8Array store truncates a rounded value, which is exact
    const factors = new Float64Array(n)
    for (let nn = 0; nn < n; nn++) factors[nn] = alpha / scales[nn]
    const q = new Int8Array(k * n)
    if (!transpose) {
      for (let kk = 0; kk < k; kk++) {
        const row = kk * n
        for (let nn = 0; nn < n; nn++) q[row + nn] = Math.round(values[row + nn] * factors[nn])
      }
    } else {
      for (let nn = 0; nn < n; nn++) {
        const row = nn * k
        const f = factors[nn]
        for (let kk = 0; kk < k; kk++) q[kk * n + nn] = Math.round(values[row + kk] * f)
      }
    }
    const base = `${P}${w.name}${transpose ? '/T' : ''}${alpha !== 1 ? `/x${alpha}` : ''}`
    const names = { weight: `${base}/int8`, scale: `${base}/scale`, zero: `${base}/zero_point` }
    added.push(
      { name: names.weight, dataType: INT8, dims: [k, n], rawData: new Uint8Array(q.buffer) },
      { name: names.scale, dataType: FLOAT, dims: [n], rawData: new Uint8Array(scales.buffer) },
      { name: names.zero, dataType: INT8, dims: [n], rawData: new Uint8Array(n) }
    )
    quantised.set(key, names)
    return names
  }
  const attribute = (node: onnx.NodeProto, name: string, fallback: number) => {
    const a = node.attribute.find((x) => x.name === name)
    return a === undefined ? fallback : a.type === onnx.AttributeProto.AttributeType.FLOAT ? Number(a.f) : Number(a.i)
  }
  const countRead = (name: string) => quantisedReads.set(name, (quantisedReads.get(name) ?? 0) + 1)

  const nodes = (graph.node as onnx.NodeProto[]).map((node): onnx.INodeProto => {
    if (node.domain && node.domain !== 'ai.onnx') return node
    const w = constants.get(node.input[1])
    if (!w || w.dataType !== FLOAT || w.dims.length !== 2) return node
    if (node.opType === 'MatMul') {
      const q = int8Weight(w, false, 1)
      if (!q) return node
      matMuls++
      countRead(w.name)
      return { name: node.name, opType: 'DynamicQuantizeMatMul', domain: MS_DOMAIN, input: [node.input[0], q.weight, q.scale, q.zero], output: node.output }
    }
    if (node.opType !== 'Gemm' || attribute(node, 'transA', 0) !== 0) return node
    const n = Number(attribute(node, 'transB', 0) ? w.dims[0] : w.dims[1])
    // the bias, [N] as DynamicQuantizeMatMul takes it; a C of another shape leaves the Gemm alone
    let bias: string | undefined
    const beta = attribute(node, 'beta', 1)
    if (node.input[2]) {
      const c = constants.get(node.input[2])
      const shape = c?.dims.map(Number).join('x')
      if (!c || c.dataType !== FLOAT || !(shape === `${n}` || shape === `1x${n}`)) return node
      if (shape === `${n}` && beta === 1) bias = c.name
      else {
        bias = `${P}${node.output[0]}/bias`
        added.push({ name: bias, dataType: FLOAT, dims: [n], rawData: new Uint8Array(floats(c).map((v) => beta * v).buffer) })
      }
    }
    const q = int8Weight(w, attribute(node, 'transB', 0) !== 0, attribute(node, 'alpha', 1))
    if (!q) return node
    gemms++
    countRead(w.name)
    // a bias the new node reads under its own name is still read; one replaced by a scaled copy is not
    if (node.input[2] && bias !== node.input[2]) countRead(node.input[2])
    return { name: node.name, opType: 'DynamicQuantizeMatMul', domain: MS_DOMAIN, input: [node.input[0], q.weight, q.scale, q.zero, ...(bias ? [bias] : [])], output: node.output }
  })
  graph.node = nodes
  // float weights that only quantised nodes read are dropped; the others keep their float copy
  graph.initializer = [...(graph.initializer as onnx.TensorProto[]).filter((t) => (quantisedReads.get(t.name) ?? 0) < (reads.get(t.name) ?? 0)), ...added]
  if (!model.opsetImport.some((o) => o.domain === MS_DOMAIN)) model.opsetImport.push({ domain: MS_DOMAIN, version: 1 })
  const bytes = onnx.ModelProto.encode(model).finish()
  // protobuf's own limit: a model of over 2 GB cannot be one message
  if (bytes.byteLength >= 2 ** 31) refuse(`its int8 form is ${(bytes.byteLength / 2 ** 30).toFixed(1)} GB, over the 2 GB a single ONNX file can hold`)
  return { model: bytes, matMuls, gemms, bytesBefore: gradientModel.byteLength + externalBytes, bytesAfter: bytes.byteLength }
}

/**
 * The external data files (ONNX external_data "location") the quantiser would read for this
 * model, each once, in the order its weights name them: what the int8 cache hashes beside the
 * model file, since a change to any of them changes the int8 model.
 */
export function externalDataLocations(gradientModel: Uint8Array): string[] {
  const graph = onnx.ModelProto.decode(gradientModel).graph
  const locations = new Set<string>()
  for (const t of graph?.initializer ?? []) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue
    const location = t.externalData?.find((e) => e.key === 'location')?.value
    if (location) locations.add(location)
  }
  return [...locations]
}

/** A float tensor's values, from raw_data (little-endian, possibly unaligned) or float_data. */
function floats(t: onnx.TensorProto): Float32Array {
  const raw = t.rawData
  if (raw && raw.byteLength > 0) return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
  return Float32Array.from(t.floatData)
}
