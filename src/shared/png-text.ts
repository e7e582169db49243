import CRC32 from 'crc-32'

/**
 * Reads and writes the iTXt chunk where EqM Studio keeps an image's parameters, so an
 * exported PNG carries what is needed to reproduce it. Works on raw bytes (Node and browser).
 */
export const PARAMS_KEYWORD = 'eqm-studio'
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10]

interface Chunk {
  type: string
  start: number
  dataStart: number
  length: number
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b)
}

function* chunks(bytes: Uint8Array): Generator<Chunk> {
  if (!isPng(bytes)) throw new Error('not a PNG file (bad signature)')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 8
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset)
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8))
    if (offset + 12 + length > bytes.length) throw new Error(`PNG chunk ${type} runs past the end of the file`)
    yield { type, start: offset, dataStart: offset + 8, length }
    offset += 12 + length
    if (type === 'IEND') return
  }
}

/** Inserts (or replaces) the parameters chunk right after IHDR. */
export function withPngText(png: Uint8Array, text: string, keyword = PARAMS_KEYWORD): Uint8Array {
  const kept: Uint8Array[] = [png.subarray(0, 8)]
  for (const chunk of chunks(png)) {
    const whole = png.subarray(chunk.start, chunk.dataStart + chunk.length + 4)
    if (chunk.type === 'iTXt' && readItxt(png.subarray(chunk.dataStart, chunk.dataStart + chunk.length))?.keyword === keyword) continue
    kept.push(whole)
    if (chunk.type === 'IHDR') kept.push(makeItxtChunk(keyword, text))
  }
  const total = kept.reduce((n, part) => n + part.length, 0)
  const out = new Uint8Array(total)
  let at = 0
  for (const part of kept) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** The parameters text, or null when the PNG has none. Throws on a file that is not a PNG. */
export function readPngText(png: Uint8Array, keyword = PARAMS_KEYWORD): string | null {
  for (const chunk of chunks(png)) {
    if (chunk.type !== 'iTXt') continue
    const entry = readItxt(png.subarray(chunk.dataStart, chunk.dataStart + chunk.length))
    if (entry?.keyword === keyword) return entry.text
  }
  return null
}

function makeItxtChunk(keyword: string, text: string): Uint8Array {
  const encoder = new TextEncoder()
  const key = encoder.encode(keyword)
  const body = encoder.encode(text)
  // keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL
  const data = new Uint8Array(key.length + 5 + body.length)
  data.set(key, 0)
  data.set([0, 0, 0, 0, 0], key.length)
  data.set(body, key.length + 5)
  const chunk = new Uint8Array(12 + data.length)
  const view = new DataView(chunk.buffer)
  view.setUint32(0, data.length)
  chunk.set(encoder.encode('iTXt'), 4)
  chunk.set(data, 8)
  view.setUint32(8 + data.length, CRC32.buf(chunk.subarray(4, 8 + data.length)) >>> 0)
  return chunk
}

function readItxt(data: Uint8Array): { keyword: string; text: string } | null {
  const decoder = new TextDecoder()
  const keyEnd = data.indexOf(0)
  if (keyEnd < 0 || data[keyEnd + 1] !== 0) return null // compressed iTXt is not ours
  const langEnd = data.indexOf(0, keyEnd + 3)
  const transEnd = langEnd < 0 ? -1 : data.indexOf(0, langEnd + 1)
  if (transEnd < 0) return null
  return { keyword: decoder.decode(data.subarray(0, keyEnd)), text: decoder.decode(data.subarray(transEnd + 1)) }
}
