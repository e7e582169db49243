// Replays a parity fixture written by training/export.py through onnxruntime-node and prints
// the max abs difference to the PyTorch outputs as JSON.
// Usage (cwd = repo root): node training/check_parity.cjs training/parity/eqm.json [model.onnx]
const fs = require('fs')
const path = require('path')
const ort = require(require.resolve('onnxruntime-node', { paths: [process.cwd(), path.join(__dirname, '..')] }))

async function main() {
  const fixture = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
  const modelPath = process.argv[3] || fixture.onnx
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 })
  const [n] = fixture.shape
  const x = new ort.Tensor('float32', Float32Array.from(fixture.x), fixture.shape)
  const y = new ort.Tensor('int64', BigInt64Array.from(fixture.y.map((v) => BigInt(v))), [n])
  const out = await session.run({ x, y })
  // "grad" for a gradient model, "energy" for an EqM-E energy model (fixture.output)
  const name = fixture.output || 'grad'
  const values = out[name].data
  const reference = fixture[name]
  let maxAbs = 0
  let maxRef = 0
  for (let i = 0; i < values.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(values[i] - reference[i]))
    maxRef = Math.max(maxRef, Math.abs(reference[i]))
  }
  console.log(JSON.stringify({ model: modelPath, output: name, inputs: session.inputNames, outputs: session.outputNames,
    dims: out[name].dims, maxAbsDiff: maxAbs, maxAbsRef: maxRef, ok: values.length === reference.length && maxAbs < 1e-3 * Math.max(1, maxRef) }))
}
main().catch((e) => { console.error(e); process.exit(1) })
