// ORT half of bench/latent_model.py: times an imported latent model's gradient ONNX and its VAE
// through onnxruntime-node (the engine's runtime) and prints JSON. Usage (cwd = repo root):
//   node bench/latent_ort.cjs MODEL_DIR VAE_DIR REPS [THREADS]
const fs = require('fs')
const path = require('path')
const ort = require(require.resolve('onnxruntime-node', { paths: [process.cwd(), path.join(__dirname, '..')] }))

const [modelDir, vaeDir, repsText, threadsText] = process.argv.slice(2)
const reps = Number(repsText || 3)
// the same thread count as the PyTorch side (0: onnxruntime's default)
const sessionOptions = { graphOptimizationLevel: 'all', intraOpNumThreads: Number(threadsText || 0) }
const ms = (t) => Math.round((performance.now() - t) * 10) / 10
const peakRssMiB = () => Number(fs.readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+)/)[1]) / 1024

function normal(n, seed) {
  // a small LCG + Box-Muller: inputs only, the timings do not depend on their values
  let s = seed >>> 0
  const u = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 1) / 4294967297
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u())
  return out
}

async function timed(session, feeds, n) {
  const times = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await session.run(feeds)
    times.push(ms(t))
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]
}

async function main() {
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, 'manifest.json'), 'utf8'))
  const [c, h, w] = manifest.shape
  const started = performance.now()
  const field = await ort.InferenceSession.create(path.join(modelDir, manifest.files.gradient), sessionOptions)
  const sessionMs = ms(started)
  const feeds = (b) => ({ x: new ort.Tensor('float32', normal(b * c * h * w, b), [b, c, h, w]), y: new ort.Tensor('int64', BigInt64Array.from({ length: b }, () => 207n), [b]) })
  let t = performance.now()
  await field.run(feeds(1))
  const firstCallMs = ms(t)
  const result = { sessionCreateMs: sessionMs, firstCallMs, firstFrameMs: Math.round((sessionMs + firstCallMs) * 10) / 10, msPerCall: {} }
  for (const b of [1, 8]) {
    await field.run(feeds(b)) // warm-up at this batch size
    result.msPerCall[`batch${b}`] = await timed(field, feeds(b), reps)
  }
  const vae = JSON.parse(fs.readFileSync(path.join(vaeDir, 'vae.json'), 'utf8'))
  const side = h * vae.downscale
  t = performance.now()
  const decoder = await ort.InferenceSession.create(path.join(vaeDir, vae.files.decoder), sessionOptions)
  const encoder = await ort.InferenceSession.create(path.join(vaeDir, vae.files.encoder), sessionOptions)
  result.vaeSessionsMs = ms(t)
  const latent = { latent: new ort.Tensor('float32', normal(c * h * w, 3), [1, c, h, w]) }
  const image = { image: new ort.Tensor('float32', normal(3 * side * side, 4).map((v) => Math.tanh(v)), [1, 3, side, side]) }
  await decoder.run(latent)
  await encoder.run(image)
  result.decodeMs = await timed(decoder, latent, Math.max(1, Math.min(reps, 3)))
  result.encodeMs = await timed(encoder, image, Math.max(1, Math.min(reps, 3)))
  result.imageSide = side
  result.peakRssMiB = Math.round(peakRssMiB())
  console.log(JSON.stringify(result))
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
