import { closeSync, openSync, readSync, fstatSync } from 'node:fs'

/**
 * Walks an .onnx file's protobuf structure without loading its weights: every field must fit
 * inside its parent (a truncated or corrupt file is found here, at scan time, not at the first
 * job), and every tensor stored as external data is listed so the caller can check where it
 * points. Big fields (raw weights) are skipped by length, so a 2 GB model costs a few reads.
 *
 * Field numbers are onnx.proto3's: ModelProto.graph 7, opset_import 8, functions 25;
 * GraphProto.node 1, initializer 5, sparse_initializer 15; NodeProto.attribute 5;
 * AttributeProto t 5, g 6, tensors 10, graphs 11, sparse_tensor 22, sparse_tensors 23;
 * FunctionProto.node 7; SparseTensorProto values 1, indices 2;
 * TensorProto external_data 13 (StringStringEntryProto key 1, value 2), data_location 14.
 */
export interface OnnxFileFacts {
  /** `location` of every tensor kept in an external data file, as written in the model */
  externalDataLocations: string[]
}

export class OnnxFileError extends Error {}

type Kind = 'model' | 'graph' | 'node' | 'attribute' | 'function' | 'tensor' | 'sparse' | 'entry'

/** Which length-delimited fields of each message hold messages worth entering. */
const CHILDREN: Record<Kind, Record<number, Kind>> = {
  model: { 7: 'graph', 25: 'function' },
  graph: { 1: 'node', 5: 'tensor', 15: 'sparse' },
  node: { 5: 'attribute' },
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparse', 23: 'sparse' },
  function: { 7: 'node' },
  sparse: { 1: 'tensor', 2: 'tensor' },
  tensor: { 13: 'entry' },
  entry: {}
}

const MAX_DEPTH = 64
const WINDOW = 64 * 1024

class PositionedReader {
  private window = Buffer.alloc(WINDOW)
  private windowStart = 0
  private windowLength = 0
  constructor(private readonly fd: number, readonly size: number) {}

  byte(position: number): number {
    if (position < this.windowStart || position >= this.windowStart + this.windowLength) {
      this.windowStart = position
      this.windowLength = readSync(this.fd, this.window, 0, WINDOW, position)
      if (this.windowLength === 0) throw new OnnxFileError(`ends early at byte ${position}`)
    }
    return this.window[position - this.windowStart]
  }

  bytes(position: number, length: number): Buffer {
    const out = Buffer.alloc(length)
    if (readSync(this.fd, out, 0, length, position) !== length) throw new OnnxFileError(`ends early at byte ${position}`)
    return out
  }
}

export function inspectOnnxFile(path: string): OnnxFileFacts {
  const fd = openSync(path, 'r')
  try {
    const reader = new PositionedReader(fd, fstatSync(fd).size)
    if (reader.size === 0) throw new OnnxFileError('is empty')
    const facts: OnnxFileFacts = { externalDataLocations: [] }
    const seen = walk(reader, 0, reader.size, 'model', 0, facts)
    if (!seen.has(7)) throw new OnnxFileError('has no graph (not an ONNX model, or cut short)')
    if (!seen.has(8)) throw new OnnxFileError('has no opset_import (not an ONNX model, or cut short)')
    return facts
  } finally {
    closeSync(fd)
  }
}

/** Reads one message's fields between start and end; returns the field numbers seen. */
function walk(reader: PositionedReader, start: number, end: number, kind: Kind, depth: number, facts: OnnxFileFacts): Set<number> {
  if (depth > MAX_DEPTH) throw new OnnxFileError(`nests deeper than ${MAX_DEPTH} levels`)
  const seen = new Set<number>()
  let entry: { key?: string; value?: string } = {}
  let position = start
  const varint = (): number => {
    let value = 0
    for (let shift = 0; shift < 64; shift += 7) {
      if (position >= end) throw new OnnxFileError(`is cut short or corrupt at byte ${position}`)
      const b = reader.byte(position++)
      value += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return value
    }
    throw new OnnxFileError(`has a malformed number at byte ${position}`)
  }
  while (position < end) {
    const key = varint()
    const field = Math.floor(key / 8)
    const wire = key % 8
    if (field === 0) throw new OnnxFileError(`has an invalid field at byte ${position}`)
    seen.add(field)
    if (wire === 0) varint()
    else if (wire === 1 || wire === 5) position += wire === 1 ? 8 : 4
    else if (wire === 2) {
      const length = varint()
      if (position + length > end) throw new OnnxFileError(`is cut short or corrupt: a field at byte ${position} runs past the end`)
      const child = CHILDREN[kind][field]
      if (child) walk(reader, position, position + length, child, depth + 1, facts)
      else if (kind === 'entry' && (field === 1 || field === 2)) {
        const text = reader.bytes(position, Math.min(length, 4096)).toString('utf8')
        entry = field === 1 ? { ...entry, key: text } : { ...entry, value: text }
      }
      position += length
    } else throw new OnnxFileError(`is corrupt: unknown wire type ${wire} at byte ${position}`)
    if (position > end) throw new OnnxFileError(`is cut short or corrupt at byte ${end}`)
  }
  if (kind === 'entry' && entry.key === 'location' && entry.value !== undefined) facts.externalDataLocations.push(entry.value)
  return seen
}
