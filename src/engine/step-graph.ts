import { onnx } from 'onnx-proto'
import { EngineError } from './errors'

/**
 * Builds the descent-step model from a gradient model (x, y -> grad), at load time, by adding
 * nodes around its graph (the weights are not copied, the network is not re-exported). One
 * call runs K steps of one model evaluation each (K = `steps`, unrolled: the network's nodes
 * appear K times over one set of weights), so on a GPU the states cross to the host once per K
 * steps. Each step's look-ahead, step size and coefficients are inputs, so the same graph runs the
 * descent (the same values every step) and the clock (each Heun step is two graph steps with
 * their own values, sampler-clock-stepped.ts):
 *
 *   state [S,C,H,W], f_prev [S,C,H,W], labels int64 [S*R], coefficients [K,R], eta [K], lookahead [K],
 *   freedom [S,C,H,W], stop [], budget [], far [S], far_coefficients [R], far_until [],
 *   rest_coefficients [R], guided_mask [C,H,W]
 *   for k = 1..K:
 *     x_look  = state - lookahead[k] * f_prev                  (eta * mu for NAG, 0 for GD)
 *     rows    = each sample's x_look repeated R times -> x of the gradient model, labels -> y
 *     coef_s  = far_s ? far_coefficients : coefficients[k]       (guidance by place, sampler.ts farCfg)
 *     guided  = sum_r coef_s[r] * grad[s, r] where guided_mask > 0,
 *               sum_r rest_coefficients[r] * grad[s, r] elsewhere  (CFG / energy addition, partial guidance)
 *     rms_k   = sqrt(sum(guided^2 | freedom > 0) / count(freedom > 0))   (sampler.ts freeRms)
 *     far_s   = far_s and not (k <= budget and rms_k < far_until)        (far ends at the first RMS under the bound)
 *     moving  = still moving after step k-1, k <= budget, and rms_k >= stop   (the sampler's stop rule)
 *     where moving: f_prev = freedom * guided; state = state - eta[k] * f_prev
 *     change_s += <f_prev, state after - state before> where moving   (the energy's first-order change)
 *   -> next_state, f_next (the last step's), rms [K, S], far_next [S], change [S], flattened and
 *      concatenated into one output `packed` [2 * S*C*H*W + K*S + 2S]: onnxruntime's WebGPU provider copies each
 *      output to the host with its own flush and wait (BufferManager::Download), so one output is
 *      one wait a call instead of four
 * Without guidance by place the host passes far = 0 (far_coefficients then never weigh in); with
 * guidance on every element, guided_mask is all ones (rest_coefficients then never weigh in).
 *
 * A sample that stops keeps its state, as in sampler.ts; the host reads the RMS matrix to know
 * which step stopped it. Built here rather than in training/export.py so that every gradient
 * model the engine can load (imported checkpoints, users' files) gets it.
 * Limits: models whose weights live in external data files are refused (the caller keeps the
 * host path), and onnx-proto knows the ONNX 1.10 schema (IR 8): newer fields would be dropped,
 * so newer IR versions are refused too; K > 1 refuses graphs with subgraphs (If, Loop, Scan).
 */
export const STEP_INPUTS = ['state', 'f_prev', 'labels', 'coefficients', 'eta', 'lookahead', 'freedom', 'stop', 'budget', 'far', 'far_coefficients', 'far_until', 'rest_coefficients', 'guided_mask'] as const
export const STEP_OUTPUTS = ['packed'] as const

const FLOAT = onnx.TensorProto.DataType.FLOAT
const INT64 = onnx.TensorProto.DataType.INT64
const P = 'eqm_step/' // prefix of every added name, so nothing collides with the model's own

export function buildStepModel(gradientModel: Uint8Array, fileName: string, steps = 1): Uint8Array {
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

  if (!(Number.isInteger(steps) && steps >= 1 && steps <= 64)) refuse(`${steps} steps per call (1 to 64)`)
  if (steps > 1 && (graph.node as onnx.NodeProto[]).some((n) => n.attribute.some((a) => a.g || (a.graphs ?? []).length > 0))) refuse('it has subgraphs, which are not unrolled')

  const nodes: onnx.INodeProto[] = []
  const node = (opType: string, inputs: string[], output: string, attribute: onnx.IAttributeProto[] = []): string => {
    nodes.push({ opType, input: inputs, output: [output], name: `${P}${output}`, attribute })
    return output
  }
  const int = (name: string, value: number): onnx.IAttributeProto => ({ name, i: value, type: onnx.AttributeProto.AttributeType.INT })
  const constants: onnx.ITensorProto[] = []
  const int64Constant = (name: string, values: number[]): string => {
    constants.push({ name: P + name, dataType: INT64, dims: [values.length], int64Data: values })
    return P + name
  }
  const floatConstant = (name: string, value: number): string => {
    constants.push({ name: P + name, dataType: FLOAT, dims: [], floatData: [value] })
    return P + name
  }
  const int64Scalar = (name: string, value: number): string => {
    constants.push({ name: P + name, dataType: INT64, dims: [], int64Data: [value] })
    return P + name
  }
  const zero = floatConstant('zero', 0)
  const one = floatConstant('one_f', 1)
  const rowCount = node('Shape', ['rest_coefficients'], `${P}row_count`)
  const rowsShape = int64Constant('rows_shape', [-1, c, h, w])
  const repeat = node('Concat', [int64Constant('one', [1]), rowCount, int64Constant('ones3', [1, 1, 1])], `${P}repeat_shape`, [int('axis', 0)])
  const perSample = node('Concat', [int64Constant('minus_one', [-1]), rowCount, int64Constant('chw', [c, h, w])], `${P}grad_shape`, [int('axis', 0)])
  const coefficientShape = int64Constant('coeff_shape', [1, -1, 1, 1, 1])
  const farCoefficients5d = node('Reshape', ['far_coefficients', coefficientShape], `${P}far_coefficients_5d`)
  const rest5d = node('Reshape', ['rest_coefficients', coefficientShape], `${P}rest_coefficients_5d`)
  const farShape = int64Constant('far_shape', [-1, 1, 1, 1, 1])
  const guidedHere = node('Greater', ['guided_mask', zero], `${P}guided_here`)
  const free = node('Cast', [node('Greater', ['freedom', zero], `${P}free_bool`)], `${P}free`, [int('to', FLOAT)])
  const axesChw = int64Constant('axes_chw', [1, 2, 3])
  const count = node('Max', [node('ReduceSum', [free, axesChw], `${P}free_count`, [int('keepdims', 0)]), one], `${P}count`)
  const sampleShape = int64Constant('sample_shape', [-1, 1, 1, 1])
  const axis0 = int64Constant('axis0', [0])
  const axis1 = int64Constant('axis1', [1])

  // the network's nodes, once per step, renamed so that step k reads its own x and y; the
  // weights (initializers) and the graph's other inputs keep their names and are shared
  const network = graph.node as onnx.NodeProto[] // decoded: repeated fields are arrays
  const produced = new Set(network.flatMap((n) => n.output))
  const stepName = (k: number, name: string) => (name === '' ? '' : steps === 1 ? name : `${P}k${k}/${name}`)
  const renamed = (k: number, name: string) => (produced.has(name) || name === 'x' || name === 'y' ? stepName(k, name) : name)
  const body: onnx.INodeProto[] = []
  let state = 'state'
  let fPrev = 'f_prev'
  let moving = ''
  let far = 'far'
  let change = ''
  const rmsRows: string[] = []
  for (let k = 1; k <= steps; k++) {
    const q = `${P}k${k}/`
    // this step's own values: row k-1 of the per-step inputs
    const index = int64Scalar(`k${k}_index`, k - 1)
    const lookahead = node('Gather', ['lookahead', index], `${q}lookahead`, [int('axis', 0)])
    const eta = node('Gather', ['eta', index], `${q}eta`, [int('axis', 0)])
    const coefficients5d = node('Reshape', [node('Gather', ['coefficients', index], `${q}coefficients_row`, [int('axis', 0)]), coefficientShape], `${q}coefficients_5d`)
    const lookStep = node('Mul', [lookahead, fPrev], `${q}look_step`)
    const xLook = node('Sub', [state, lookStep], `${q}x_look`)
    const repeated = node('Expand', [node('Unsqueeze', [xLook, axis1], `${q}x_look_5d`), repeat], `${q}x_rows_5d`)
    node('Reshape', [repeated, rowsShape], stepName(k, 'x'))
    node('Identity', ['labels'], stepName(k, 'y'))
    body.push(...nodes.splice(0))
    for (const n of network) {
      body.push({ ...n, name: n.name ? stepName(k, n.name) : '', input: n.input.map((i) => renamed(k, i)), output: n.output.map((o) => stepName(k, o)) })
    }
    const grad5d = node('Reshape', [stepName(k, 'grad'), perSample], `${q}grad_5d`)
    // each sample's coefficients: far * far_coefficients + (1 - far) * coefficients, far 0 or 1 [S,R,1,1,1]
    const far5d = node('Reshape', [far, farShape], `${q}far_5d`)
    const near5d = node('Sub', [one, far5d], `${q}near_5d`)
    const sampleCoefficients = node('Add', [node('Mul', [far5d, farCoefficients5d], `${q}far_part`), node('Mul', [near5d, coefficients5d], `${q}near_part`)], `${q}coefficients`)
    const guidedAll = node('ReduceSum', [node('Mul', [grad5d, sampleCoefficients], `${q}weighted`), axis1], `${q}guided_all`, [int('keepdims', 0)])
    const unguided = node('ReduceSum', [node('Mul', [grad5d, rest5d], `${q}rest_weighted`), axis1], `${q}unguided`, [int('keepdims', 0)])
    // Where, not a blend: with guidance on every element the result is the guided sum's bytes
    const guided = node('Where', [guidedHere, guidedAll, unguided], `${q}guided`)
    const squares = node('Mul', [node('Mul', [guided, guided], `${q}guided_sq`), free], `${q}free_sq`)
    const sum = node('ReduceSum', [squares, axesChw], `${q}sum_sq`, [int('keepdims', 0)])
    const rms = node('Sqrt', [node('Div', [sum, count], `${q}mean_sq`)], `${q}rms`)
    rmsRows.push(node('Unsqueeze', [rms, axis0], `${q}rms_row`))
    // moving: this step is within the budget, the sample had not stopped, its RMS is not under stop
    const inBudget = node('Greater', ['budget', floatConstant(`k${k}_less_half`, k - 0.5)], `${q}in_budget`)
    // far guidance ends at a taken step whose RMS fell under far_until (for the next step on)
    const farEnds = node('And', [node('Less', [rms, 'far_until'], `${q}below_far`), inBudget], `${q}far_ends`)
    far = node('Mul', [far, node('Cast', [node('Not', [farEnds], `${q}far_stays`)], `${q}far_stays_f`, [int('to', FLOAT)])], `${q}far`)
    const above = node('Not', [node('Less', [rms, 'stop'], `${q}below_stop`)], `${q}above_stop`)
    const stillOn = node('And', [above, inBudget], `${q}still_on`)
    moving = k === 1 ? stillOn : node('And', [stillOn, moving], `${q}moving`)
    const moving4d = node('Reshape', [node('Cast', [moving], `${q}moving_f`, [int('to', FLOAT)]), sampleShape], `${q}moving_4d`)
    const movingMask = node('Greater', [moving4d, zero], `${q}moving_mask`)
    const stepF = node('Mul', [guided, 'freedom'], `${q}f`)
    const moved = node('Sub', [state, node('Mul', [eta, stepF], `${q}eta_f`)], `${q}moved`)
    // Where, not a product with the mask: a stopped sample's NaN must not reach its kept state
    // the energy's first-order change along this step's move (energy-estimate.ts), as the host samplers add it
    const stepChange = node('ReduceSum', [node('Mul', [stepF, node('Sub', [moved, state], `${q}dx`)], `${q}f_dx`), axesChw], `${q}f_dx_sum`, [int('keepdims', 0)])
    const taken = node('Where', [moving, stepChange, zero], `${q}change_taken`)
    change = change === '' ? taken : node('Add', [change, taken], `${q}change`)
    state = node('Where', [movingMask, moved, state], `${q}state`)
    fPrev = node('Where', [movingMask, stepF, fPrev], `${q}f_prev`)
    body.push(...nodes.splice(0))
  }
  const rms = node('Concat', rmsRows, `${P}rms`, [int('axis', 0)])
  const flat = int64Constant('flat', [-1])
  const parts = [state, fPrev, rms, far, change].map((name) => node('Reshape', [name, flat], `${name}_flat`))
  node('Concat', parts, 'packed', [int('axis', 0)])
  body.push(...nodes.splice(0))

  const tensor = (name: string, type: number, shape: (number | string)[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: type, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } }
  })
  const stateInfo = (name: string) => tensor(name, FLOAT, ['S', c, h, w])
  graph.input = [
    stateInfo('state'),
    stateInfo('f_prev'),
    tensor('labels', INT64, ['rows']),
    tensor('coefficients', FLOAT, [steps, 'R']),
    tensor('eta', FLOAT, [steps]),
    tensor('lookahead', FLOAT, [steps]),
    stateInfo('freedom'),
    tensor('stop', FLOAT, []),
    tensor('budget', FLOAT, []),
    tensor('far', FLOAT, ['S']),
    tensor('far_coefficients', FLOAT, ['R']),
    tensor('far_until', FLOAT, []),
    tensor('rest_coefficients', FLOAT, ['R']),
    tensor('guided_mask', FLOAT, [c, h, w])
  ]
  graph.node = body
  graph.initializer = [...graph.initializer, ...constants]
  graph.output = [tensor('packed', FLOAT, ['packed'])]
  // each step's x and y keep the gradient model's declared types as inner values, so shape
  // inference (and with it the optimiser's layout and fusion passes) sees its input as before
  const innerInfo = graph.valueInfo.filter((v) => v.name !== 'x' && v.name !== 'y')
  graph.valueInfo = Array.from({ length: steps }, (_, i) => [
    ...innerInfo.map((v) => ({ ...v, name: stepName(i + 1, v.name ?? '') })),
    tensor(stepName(i + 1, 'x'), FLOAT, ['rows', c, h, w]),
    tensor(stepName(i + 1, 'y'), INT64, ['rows'])
  ]).flat()
  return onnx.ModelProto.encode(model).finish()
}
