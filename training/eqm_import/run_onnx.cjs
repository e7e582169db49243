// Runs one ONNX model through onnxruntime-node for the importer's tests: reads
// {"inputs": {name: {"type": "float32"|"int64", "dims": [...], "data": [...]}}} from argv[3],
// prints {"outputs": {name: {"dims": [...], "data": [...]}}, "inputNames": [...], "outputNames": [...]}.
// Usage (cwd = repo root): node training/eqm_import/run_onnx.cjs MODEL.onnx INPUTS.json
const fs = require('fs')
const path = require('path')
const ort = require(require.resolve('onnxruntime-node', { paths: [process.cwd(), path.join(__dirname, '..', '..')] }))

async function main() {
  const session = await ort.InferenceSession.create(process.argv[2], { intraOpNumThreads: 1 })
  const spec = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'))
  const feeds = {}
  for (const [name, input] of Object.entries(spec.inputs)) {
    const data = input.type === 'int64' ? BigInt64Array.from(input.data.map((v) => BigInt(v))) : Float32Array.from(input.data)
    feeds[name] = new ort.Tensor(input.type, data, input.dims)
  }
  const results = await session.run(feeds)
  const outputs = {}
  for (const [name, tensor] of Object.entries(results)) outputs[name] = { dims: tensor.dims, data: Array.from(tensor.data, Number) }
  console.log(JSON.stringify({ outputs, inputNames: session.inputNames, outputNames: session.outputNames }))
}
main().catch((e) => { console.error(e); process.exit(1) })
