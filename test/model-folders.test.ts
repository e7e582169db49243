import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Engine } from '../src/engine/engine'
import { scanModels } from '../src/engine/model-registry'
import { hashModelFolders } from '../src/engine/model-files'
import { packagedResourcesFolder } from '../src/engine/shipped-models'
import { FIXTURE_MODELS, ROOT } from './support/paths'
import { scratchFolder } from './support/scratch'

/** A fresh models root holding a copy of the quadratic fixture (the model every case keeps loadable). */
function rootWithGoodModel(): string {
  const root = scratchFolder('eqm-models-')
  cpSync(join(FIXTURE_MODELS, 'quadratic'), join(root, 'quadratic'), { recursive: true })
  return root
}

/** A second model folder: the quadratic fixture under another id, its manifest edited by `edit`. */
function addModel(root: string, name: string, edit: (manifest: Record<string, any>) => void = () => {}): string {
  const folder = join(root, name)
  cpSync(join(FIXTURE_MODELS, 'quadratic'), folder, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'))
  manifest.id = name
  edit(manifest)
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest))
  return folder
}

/** Protobuf bytes: just enough of onnx.proto to write a model whose initializer lives in an external file. */
function varint(n: number): number[] {
  const out: number[] = []
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  return [...out, n]
}
const field = (number: number, bytes: number[]) => [...varint(number * 8 + 2), ...varint(bytes.length), ...bytes]
const text = (s: string) => [...Buffer.from(s)]
function onnxWithExternalData(location: string): Buffer {
  const entry = [...field(1, text('location')), ...field(2, text(location))]
  const tensor = [...field(8, text('w')), ...field(13, entry), ...varint(14 * 8), 1]
  const graph = field(5, tensor)
  return Buffer.from([...varint(1 * 8), 8, ...field(7, graph), ...field(8, [])])
}

describe('model folders are loaded one by one', () => {
  it('a dangling link in a models root is reported by name and the good model still loads (engine too)', async () => {
    const root = rootWithGoodModel()
    symlinkSync(join(root, 'gone'), join(root, 'broken-link'))
    const { models, problems } = scanModels([root])
    expect(models.map((m) => m.manifest.id)).toEqual(['quadratic'])
    expect(problems).toEqual([{ folder: join(root, 'broken-link'), message: expect.stringMatching(/broken-link cannot be opened \(ENOENT\)/) }])

    const engine = new Engine({ modelRoots: [root] })
    const listed = await engine.call('models.list', {})
    expect(listed.models.map((m) => m.id)).toEqual(['quadratic'])
    expect(listed.problems[0].message).toMatch(/broken-link/)
    await engine.dispose()
  })

  it('a truncated energy .onnx makes its folder a problem at scan time, with the reason', () => {
    const root = rootWithGoodModel()
    const folder = addModel(root, 'cut-energy')
    const energy = readFileSync(join(folder, 'energy.onnx'))
    writeFileSync(join(folder, 'energy.onnx'), energy.subarray(0, Math.floor(energy.length / 2)))
    const { models, problems } = scanModels([root])
    expect(models.map((m) => m.manifest.id)).toEqual(['quadratic'])
    expect(problems[0].message).toMatch(/cut-energy: the energy file energy.onnx is not a whole ONNX model: it is cut short/)
  })

  it('`eqm models` lists the truncated energy file as a problem and exits non-zero only when nothing loads', () => {
    const root = rootWithGoodModel()
    const folder = addModel(root, 'cut-energy')
    writeFileSync(join(folder, 'energy.onnx'), readFileSync(join(folder, 'energy.onnx')).subarray(0, 700))
    const result = spawnSync(process.execPath, [join(ROOT, 'bin/eqm.mjs'), 'models', '--models', root], { encoding: 'utf8', timeout: 60_000 })
    expect(result.status, result.stderr).toBe(0)
    const listed = JSON.parse(result.stdout)
    expect(listed.models.map((m: { id: string }) => m.id)).toEqual(['quadratic'])
    expect(listed.problems.map((p: { message: string }) => p.message).join()).toMatch(/energy.onnx is not a whole ONNX model/)
  })

  it.each([
    ['../../../../etc/passwd', /files.vae: must be a plain file name/],
    ['..', /files.vae: must be a plain file name/],
    ['/etc/passwd', /files.vae: must be a plain file name/]
  ])('a manifest files entry %j is refused, not probed', (name, message) => {
    const root = rootWithGoodModel()
    addModel(root, 'escapes', (m) => (m.files.vae = name))
    const { models, problems } = scanModels([root])
    expect(models).toHaveLength(1)
    expect(problems[0].message).toMatch(message)
  })

  it('a plain name that is a link out of the folder, or a folder, is refused', () => {
    const root = rootWithGoodModel()
    const linked = addModel(root, 'linked', (m) => (m.files.energy = 'outside.onnx'))
    symlinkSync(join(root, 'quadratic', 'energy.onnx'), join(linked, 'outside.onnx'))
    const dir = addModel(root, 'dir', (m) => (m.files.energy = 'sub'))
    mkdirSync(join(dir, 'sub'))
    const { models, problems } = scanModels([root])
    expect(models.map((m) => m.manifest.id)).toEqual(['quadratic'])
    expect(problems.find((p) => p.folder === dir)?.message).toMatch(/the energy file sub is not a regular file/)
    expect(problems.find((p) => p.folder === linked)?.message).toMatch(/outside.onnx resolves to .*quadratic.*energy.onnx, outside the model folder/)
  })

  it('ONNX external data must stay inside the model folder', () => {
    const root = rootWithGoodModel()
    const outside = addModel(root, 'outside-data', (m) => (m.files.energy = 'big.onnx'))
    writeFileSync(join(outside, 'big.onnx'), onnxWithExternalData('../quadratic/grad.onnx'))
    const inside = addModel(root, 'inside-data', (m) => (m.files.energy = 'big.onnx'))
    writeFileSync(join(inside, 'big.onnx'), onnxWithExternalData('big.onnx.data'))
    writeFileSync(join(inside, 'big.onnx.data'), Buffer.alloc(16))
    const missing = addModel(root, 'missing-data', (m) => (m.files.energy = 'big.onnx'))
    writeFileSync(join(missing, 'big.onnx'), onnxWithExternalData('weights.bin'))
    const { models, problems } = scanModels([root])
    expect(models.map((m) => m.manifest.id).sort()).toEqual(['inside-data', 'quadratic'])
    expect(problems.find((p) => p.folder === outside)?.message).toMatch(/keeps weights at "..\/quadratic\/grad.onnx", outside its model folder/)
    expect(problems.find((p) => p.folder === missing)?.message).toMatch(/keeps weights in "weights.bin", which is missing/)
  })

  it('a latent model names its VAE by id, never by a path; it is listed until the latent studio runs it', () => {
    const root = rootWithGoodModel()
    const latent = (vae: string) => (m: Record<string, unknown>) => {
      m.space = 'latent'
      m.latent = { vae, scale: 0.18215, imageShape: [3, 16, 16] }
    }
    addModel(root, 'uses-vae', latent('sd-vae-ft-ema'))
    addModel(root, 'path-vae', latent('../quadratic'))
    const { models, problems } = scanModels([root])
    expect(models.map((m) => m.manifest.id).sort()).toEqual(['quadratic', 'uses-vae'])
    expect(problems.map((p) => p.message).join()).toMatch(/latent.vae: must be a model id/)
  })

  it("the app's own models must match the hashes recorded at build time", () => {
    const root = rootWithGoodModel()
    const hashes = hashModelFolders(root)
    expect(Object.keys(hashes).sort()).toEqual(['quadratic/energy.onnx', 'quadratic/grad.onnx', 'quadratic/manifest.json'])
    expect(scanModels([root], { shipped: { root, hashes } }).problems).toEqual([])
    const grad = readFileSync(join(root, 'quadratic', 'grad.onnx'))
    grad[grad.length - 1] ^= 1
    writeFileSync(join(root, 'quadratic', 'grad.onnx'), grad)
    const tampered = scanModels([root], { shipped: { root, hashes } })
    expect(tampered.models).toEqual([])
    expect(tampered.problems[0].message).toMatch(/the gradient file grad.onnx was changed after this app was built/)
    // another root (the user's own models) is not held to the app's list
    expect(scanModels([root], { shipped: { root: join(root, 'elsewhere'), hashes } }).models).toHaveLength(1)
  })

  it('finds the packaged resources folder from the bundled code path', () => {
    expect(packagedResourcesFolder('/opt/EqM Studio/resources/app.asar/out/main')).toBe('/opt/EqM Studio/resources')
    expect(packagedResourcesFolder(join(ROOT, 'out', 'main'))).toBeNull()
  })
})
