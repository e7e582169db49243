import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { onnx } from 'onnx-proto'

/**
 * A copy of an ONNX model in `dir` with every weight over 1 kB moved to `eqm.onnx.data`, as the
 * importer writes XL/2 (big models keep their weights outside the graph file). Returns the model
 * file, the data file, and the data file's length (where a range must end to stay inside it).
 */
export function writeExternalDataCopy(source: string, dir: string): { file: string; data: string; dataBytes: number; firstWeight: number } {
  const model = onnx.ModelProto.decode(readFileSync(source))
  const chunks: Uint8Array[] = []
  let offset = 0
  for (const t of (model.graph as onnx.GraphProto).initializer as onnx.TensorProto[]) {
    if (t.rawData.byteLength < 1024) continue
    t.externalData = [{ key: 'location', value: 'eqm.onnx.data' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(t.rawData.byteLength) }]
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL
    chunks.push(t.rawData)
    offset += t.rawData.byteLength
    t.rawData = new Uint8Array(0)
  }
  const file = join(dir, 'eqm.onnx')
  const data = join(dir, 'eqm.onnx.data')
  writeFileSync(file, onnx.ModelProto.encode(model).finish())
  writeFileSync(data, Buffer.concat(chunks))
  return { file, data, dataBytes: offset, firstWeight: chunks[0].byteLength }
}
