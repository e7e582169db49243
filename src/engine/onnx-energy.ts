import * as ort from 'onnxruntime-node'
import type { ModelManifest } from '../shared/manifest'
import type { ProviderName } from '../shared/engine-protocol'
import { createCheckedSession } from './onnx-field'
import { EngineError } from './errors'

/**
 * An explicit-energy model (EqM-E): x float32 [B,C,H,W], y int64 [B] -> energy float32 [B].
 * A forward pass gives the energy value: shown beside the descent, and an OOD score.
 */
export class OnnxEnergyModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly manifest: ModelManifest
  ) {}

  static async load(file: string, manifest: ModelManifest, provider: ProviderName): Promise<OnnxEnergyModel> {
    return new OnnxEnergyModel(await createCheckedSession(file, manifest.files.energy, manifest, provider, ['x', 'y'], 'energy'), manifest)
  }

  async energies(x: Float32Array, labels: ArrayLike<number>, rows: number): Promise<Float32Array> {
    const [c, h, w] = this.manifest.shape
    const y = new BigInt64Array(rows)
    for (let i = 0; i < rows; i++) y[i] = BigInt(labels[i])
    let output: ort.Tensor
    try {
      output = (await this.session.run({ x: new ort.Tensor('float32', x.subarray(0, rows * c * h * w), [rows, c, h, w]), y: new ort.Tensor('int64', y, [rows]) })).energy
    } catch (error) {
      throw new EngineError('model-output', `${this.manifest.id}: the energy model failed to run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
    }
    const data = output.data as Float32Array
    if (data.length !== rows) throw new EngineError('model-output', `${this.manifest.id}: energy has ${data.length} values for ${rows} rows`)
    return data
  }

  async release(): Promise<void> {
    await this.session.release()
  }
}
