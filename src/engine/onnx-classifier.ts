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
    const logits = Array.from((await this.run(x, 1)).logits.data as Float32Array)
    if (logits.length !== this.manifest.classes.length || !logits.every(Number.isFinite)) {
      throw new EngineError('model-output', `${this.manifest.id}: the classifier gave ${logits.length} logits for ${this.manifest.classes.length} classes, or non-finite ones`)
    }
    return softmax(logits)
  }

  /**
   * The OOD classifier variant's features of each image (ood-kinds.ts CLASSIFIER_FEATURES): log of the
   * best class's softmax probability, logsumexp of the logits, log of the norm of the 'features'
   * output (the layer before the logits), in batches of `batchRows`.
   */
  async oodFeatures(images: readonly Float32Array[], batchRows = 64): Promise<number[][]> {
    if (!this.session.outputNames.includes('features')) {
      throw new EngineError('model-invalid', `${this.manifest.id}: the classifier has no 'features' output (the layer before its logits), which the classifier OOD variant reads`)
    }
    const size = this.manifest.shape.reduce((a, b) => a * b, 1)
    const classes = this.manifest.classes.length
    const rows: number[][] = []
    for (let start = 0; start < images.length; start += batchRows) {
      const count = Math.min(batchRows, images.length - start)
      const x = new Float32Array(count * size)
      for (let k = 0; k < count; k++) x.set(images[start + k], k * size)
      const outputs = await this.run(x, count)
      const logits = outputs.logits.data as Float32Array
      const features = outputs.features.data as Float32Array
      const width = features.length / count
      for (let k = 0; k < count; k++) {
        const row = Array.from(logits.subarray(k * classes, (k + 1) * classes))
        const top = Math.max(...row)
        const logSumExp = top + Math.log(row.reduce((sum, v) => sum + Math.exp(v - top), 0))
        let squares = 0
        for (let i = k * width; i < (k + 1) * width; i++) squares += features[i] * features[i]
        const values = [top - logSumExp, logSumExp, 0.5 * Math.log(Math.max(squares, 1e-30))]
        if (!values.every(Number.isFinite)) throw new EngineError('model-output', `${this.manifest.id}: the classifier gave non-finite outputs`)
        rows.push(values)
      }
    }
    return rows
  }

  /** One call on `count` images in model values; a runtime failure becomes the engine's model-output error. */
  private async run(x: Float32Array, count: number): Promise<ort.InferenceSession.OnnxValueMapType> {
    const [c, h, w] = this.manifest.shape
    try {
      return await this.session.run({ x: new ort.Tensor('float32', x, [count, c, h, w]) })
    } catch (error) {
      throw new EngineError('model-output', `${this.manifest.id}: the classifier failed to run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
    }
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
