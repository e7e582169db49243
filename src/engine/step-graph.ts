import { onnx } from 'onnx-proto'
import { EngineError } from './errors'

/**
 * Builds the descent-step model from a gradient model (x, y -> grad), at load time, by adding
 * nodes around its graph (the weights are not copied, the network is not re-exported):
 *
 *   state [S,C,H,W], f_prev [S,C,H,W], labels int64 [S*R], coefficients [R], eta [], lookahead [], freedom [S,C,H,W]
 *     x_look  = state - lookahead * f_prev                       (lookahead = eta * mu for NAG, 0 for GD)
 *     rows    = each sample's x_look repeated R times -> x of the gradient model, labels -> y
 *     guided  = sum_r coefficients[r] * grad[s, r]                 (CFG / energy addition, sampler.ts planGuidance)
 *     rms     = sqrt(sum(guided^2 | freedom > 0) / count(freedom > 0))   (sampler.ts freeRms)
 *     f_next  = freedom * guided;  next_state = state - eta * f_next
 *
 * So a step crosses the host as S rows in and S rows out plus an S-vector of RMS, instead of
 * S*R rows each way and the host's loops over them. Built here rather than in training/export.py
 * so that every gradient model the engine can load (imported checkpoints, users' files) gets it.
 * Limits: models whose weights live in external data files are refused (the caller keeps the
 * host path), and onnx-proto knows the ONNX 1.10 schema (IR 8): newer fields would be dropped,
 * so newer IR versions are refused too.
 */
export const STEP_INPUTS = ['state', 'f_prev', 'labels', 'coefficients', 'eta', 'lookahead', 'freedom'] as const
export const STEP_OUTPUTS = ['next_state', 'f_next', 'rms'] as const

const FLOAT = onnx.TensorProto.DataType.FLOAT
const INT64 = onnx.TensorProto.DataType.INT64
const P = 'eqm_step/' // prefix of every added name, so nothing collides with the model's own

export function buildStepModel(gradientModel: Uint8Array, fileName: string): Uint8Array {
  const model = onnx.ModelProto.decode(gradientModel)
  const refuse = (why: string): never => {
    throw new EngineError('model-invalid', `${fileName}: no descent-step graph: ${why}`)
  }
  const irVersion = Number(model.irVersion)
  if (irVersion > 8) refuse(`IR version ${irVersion} is newer than the step builder reads (8)`)
  // decoded messages always carry their repeated fields (empty arrays), as the class type says
  const graph = (model.graph ?? refuse('no graph')) as onnx.GraphProto
  const opset = Number(model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0)
  if (opset < 13) refuse(`opset ${opset} is older than 13`)
  if (graph.initializer.some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)) refuse('its weights are in external data files')
  const x = graph.input.find((i) => i.name === 'x') ?? refuse('no input x')
  if (!graph.input.some((i) => i.name === 'y')) refuse('no input y')
  if (!graph.output.some((o) => o.name === 'grad')) refuse('no output grad')
  const dims = x.type?.tensorType?.shape?.dim ?? []
  const sampleDims = dims.slice(1).map((d) => Number(d.dimValue))
  if (sampleDims.length !== 3 || sampleDims.some((d) => !(d > 0))) refuse('input x has no fixed [C, H, W]')
  const [c, h, w] = sampleDims

  const nodes: onnx.INodeProto[] = []
  const node = (opType: string, inputs: string[], output: string, attribute: onnx.IAttributeProto[] = []): string => {
    nodes.push({ opType, input: inputs, output: [output], name: `${P}${output}`, attribute })
    return output
  }
  const ints = (name: string, values: number[]): onnx.IAttributeProto => ({ name, ints: values, type: onnx.AttributeProto.AttributeType.INTS })
  const int = (name: string, value: number): onnx.IAttributeProto => ({ name, i: value, type: onnx.AttributeProto.AttributeType.INT })
  const constants: onnx.ITensorProto[] = []
  const int64Constant = (name: string, values: number[]): string => {
    constants.push({ name: P + name, dataType: INT64, dims: [values.length], int64Data: values })
    return P + name
  }

  // inputs -> the gradient model's x and y
  const lookStep = node('Mul', ['lookahead', 'f_prev'], `${P}look_step`)
  const xLook = node('Sub', ['state', lookStep], `${P}x_look`)
  const rowCount = node('Shape', ['coefficients'], `${P}row_count`)
  const unsqueezed = node('Unsqueeze', [xLook, int64Constant('axis1', [1])], `${P}x_look_5d`)
  const repeat = node('Concat', [int64Constant('one', [1]), rowCount, int64Constant('ones3', [1, 1, 1])], `${P}repeat_shape`, [int('axis', 0)])
  const repeated = node('Expand', [unsqueezed, repeat], `${P}x_rows_5d`)
  node('Reshape', [repeated, int64Constant('rows_shape', [-1, c, h, w])], 'x')
  node('Identity', ['labels'], 'y')
  const inputNodes = nodes.splice(0)

  // grad -> guided gradient, RMS over free elements, the update
  const perSample = node('Concat', [int64Constant('minus_one', [-1]), rowCount, int64Constant('chw', [c, h, w])], `${P}grad_shape`, [int('axis', 0)])
  const grad5d = node('Reshape', ['grad', perSample], `${P}grad_5d`)
  const coefficients5d = node('Reshape', ['coefficients', int64Constant('coeff_shape', [1, -1, 1, 1, 1])], `${P}coefficients_5d`)
  const weighted = node('Mul', [grad5d, coefficients5d], `${P}weighted`)
  const guided = node('ReduceSum', [weighted, int64Constant('axis1_sum', [1])], `${P}guided`, [int('keepdims', 0)])
  const zero = P + 'zero'
  const one = P + 'one_f'
  constants.push({ name: zero, dataType: FLOAT, dims: [], floatData: [0] }, { name: one, dataType: FLOAT, dims: [], floatData: [1] })
  const free = node('Cast', [node('Greater', ['freedom', zero], `${P}free_bool`)], `${P}free`, [int('to', FLOAT)])
  const squares = node('Mul', [node('Mul', [guided, guided], `${P}guided_sq`), free], `${P}free_sq`)
  const axesChw = int64Constant('axes_chw', [1, 2, 3])
  const sum = node('ReduceSum', [squares, axesChw], `${P}sum_sq`, [int('keepdims', 0)])
  const count = node('Max', [node('ReduceSum', [free, axesChw], `${P}free_count`, [int('keepdims', 0)]), one], `${P}count`)
  node('Sqrt', [node('Div', [sum, count], `${P}mean_sq`)], 'rms')
  node('Mul', [guided, 'freedom'], 'f_next')
  node('Sub', ['state', node('Mul', ['eta', 'f_next'], `${P}eta_f`)], 'next_state')

  const tensor = (name: string, type: number, shape: (number | string)[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: type, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } }
  })
  const state = (name: string) => tensor(name, FLOAT, ['S', c, h, w])
  graph.input = [
    state('state'),
    state('f_prev'),
    tensor('labels', INT64, ['rows']),
    tensor('coefficients', FLOAT, ['R']),
    tensor('eta', FLOAT, []),
    tensor('lookahead', FLOAT, []),
    state('freedom')
  ]
  // x and y are now computed inside; listed as inputs they could be fed from outside
  graph.node = [...inputNodes, ...graph.node, ...nodes]
  graph.initializer = [...graph.initializer, ...constants]
  graph.output = [state('next_state'), state('f_next'), tensor('rms', FLOAT, ['S'])]
  // x and y keep their declared types as inner values, so shape inference (and with it the
  // optimiser's layout and fusion passes) sees the gradient model's input exactly as before
  graph.valueInfo = [...graph.valueInfo.filter((v) => v.name !== 'x' && v.name !== 'y'), tensor('x', FLOAT, ['rows', c, h, w]), tensor('y', INT64, ['rows'])]
  return onnx.ModelProto.encode(model).finish()
}
