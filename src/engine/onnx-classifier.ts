import * as ort from 'onnxruntime-node'
import type { ModelManifest } from '../shared/manifest'
import type { ProviderName } from '../shared/engine-protocol'
import { createCheckedSession } from './onnx-field'
import { EngineError } from './errors'

/**
 * The model's judge classifier (manifest files.classifier): x float32 [B,C,H,W] -> logits
 * [B, classes]. It names what an imported photo shows, so a repair can be guided toward it.
 */
export class OnnxClassifier {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly manifest: ModelManifest
  ) {}

  static async load(file: string, manifest: ModelManifest, provider: ProviderName): Promise<OnnxClassifier> {
    return new OnnxClassifier(await createCheckedSession(file, manifest.files.classifier, manifest, provider, ['x'], 'logits'), manifest)
  }

  /** Class probabilities (softmax of the logits) of one image in model values. */
  async probabilities(x: Float32Array): Promise<number[]> {
    const [c, h, w] = this.manifest.shape
    let output: ort.Tensor
    try {
      output = (await this.session.run({ x: new ort.Tensor('float32', x, [1, c, h, w]) })).logits
    } catch (error) {
      throw new EngineError('model-output', `${this.manifest.id}: the classifier failed to run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
    }
    const logits = Array.from(output.data as Float32Array)
    if (logits.length !== this.manifest.classes.length || !logits.every(Number.isFinite)) {
      throw new EngineError('model-output', `${this.manifest.id}: the classifier gave ${logits.length} logits for ${this.manifest.classes.length} classes, or non-finite ones`)
    }
    return softmax(logits)
  }

  async release(): Promise<void> {
    await this.session.release()
  }
}

export function softmax(logits: readonly number[]): number[] {
  const top = Math.max(...logits)
  const exps = logits.map((v) => Math.exp(v - top))
  const sum = exps.reduce((a, b) => a + b, 0)
  return exps.map((v) => v / sum)
}
