import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { describeZodError, modelManifestSchema } from '../src/shared/manifest'
import type { ProviderName } from '../src/shared/engine-protocol'
import { runDeviceBench, type DeviceBenchModel } from './device-bench'
import { randomLatentManifest } from './int8-load'

/**
 * Device check (issue 13 item 6): node bench-device.js --provider webgpu --models DIR
 *   [--latent FILE.onnx] [--short] --out FILE.json
 * The embedded model from DIR/fashion-mnist, and optionally a B/2-size latent model (x [B,4,32,32],
 * 1000 classes + null, made by training/make_random_sit.py on the device). scripts/device-check.sh runs it.
 */
const { values } = parseArgs({
  options: { provider: { type: 'string', default: 'cpu' }, models: { type: 'string' }, latent: { type: 'string' }, short: { type: 'boolean', default: false }, out: { type: 'string' } }
})
const modelsRoot = values.models ?? join(__dirname, '..', '..', 'models')

function embedded(): DeviceBenchModel {
  const folder = join(modelsRoot, 'fashion-mnist')
  const parsed = modelManifestSchema.safeParse(JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')))
  if (!parsed.success) throw new Error(`${folder}/manifest.json: ${describeZodError(parsed.error)}`)
  if (!parsed.data.files.gradient) throw new Error(`${folder}/manifest.json names no gradient model`)
  return { label: 'fashion-mnist', file: join(folder, parsed.data.files.gradient), manifest: parsed.data, batches: values.short ? [1, 2] : [1, 8, 16, 32, 64] }
}

function latent(file: string): DeviceBenchModel {
  const manifest = { ...randomLatentManifest(modelsRoot, file), id: 'random-sit-b2' }
  return { label: `random latent model ${basename(file)} (4x32x32)`, file, manifest, batches: values.short ? [1] : [1, 2, 4, 8, 16] }
}

async function main(): Promise<void> {
  const models = [embedded(), ...(values.latent ? [latent(values.latent)] : [])]
  const report = await runDeviceBench({ provider: values.provider as ProviderName, models, repeats: values.short ? 2 : 10, steps: values.short ? 3 : 20, samples: values.short ? 2 : 8 })
  const text = JSON.stringify({ command: `bench-device --provider ${values.provider}${values.short ? ' --short' : ''}`, ...report }, null, 2)
  console.log(text)
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true })
    writeFileSync(values.out, text + '\n')
  }
}

if (values.latent && !existsSync(values.latent)) {
  console.error(`bench-device: no latent model at ${values.latent}`)
  process.exit(1)
}
main().catch((error) => {
  console.error(`bench-device: ${(error as Error).message}`)
  process.exit(1)
})
