import { describe, expect, it } from 'vitest'
import { encodeModelPng } from '../src/engine/image-files'
import { meanPairwiseRms, pngToUnit, rmsDifference } from '../bench/variety'

/** The variety measure of bench/compose-variety.ts (training/COMPOSE.md, "Variety with a negative weight"). */
describe('variety measure', () => {
  it('is 0 for identical images', () => {
    const image = Float32Array.from({ length: 784 }, (_, i) => (i % 7) / 6)
    expect(meanPairwiseRms([image, image.slice(), image.slice()])).toBe(0)
  })

  it('gives the known RMS of one pair', () => {
    // one pixel of four differs by 1: sqrt(1/4)
    expect(rmsDifference([0, 0, 0, 0], [1, 0, 0, 0])).toBeCloseTo(0.5, 12)
    // every pixel differs by 0.3
    expect(rmsDifference([0.1, 0.2, 0.7], [0.4, 0.5, 0.4])).toBeCloseTo(0.3, 12)
  })

  it('averages the RMS over all unordered pairs, not the squared differences', () => {
    const black = new Float32Array(16)
    const white = new Float32Array(16).fill(1)
    const grey = new Float32Array(16).fill(0.5)
    // pairs: black-white 1, black-grey 0.5, white-grey 0.5 -> 2/3 (a pooled RMS would be sqrt(1.5/3))
    expect(meanPairwiseRms([black, white, grey])).toBeCloseTo(2 / 3, 6)
    // four images, six pairs: four black-white pairs of 1, two identical pairs of 0
    expect(meanPairwiseRms([black, black, white, white])).toBeCloseTo(4 / 6, 6)
  })

  it('refuses fewer than two images and images of different sizes', () => {
    expect(() => meanPairwiseRms([new Float32Array(4)])).toThrow(/two or more/)
    expect(() => rmsDifference([0, 1], [0, 1, 2])).toThrow()
  })

  it('reads a result PNG as its 8-bit values / 255', () => {
    const size = { channels: 1, width: 4, height: 2 }
    const bytes = Uint8Array.from([0, 255, 51, 102, 1, 254, 128, 200])
    const unit = pngToUnit(encodeModelPng(bytes, size, 'params'), 1)
    expect(Array.from(unit)).toEqual(Array.from(bytes, (b) => Math.fround(b / 255)))
    const rgb = Uint8Array.from({ length: 3 * 8 }, (_, i) => (i * 37) % 256)
    expect(Array.from(pngToUnit(encodeModelPng(rgb, { ...size, channels: 3 }), 3))).toEqual(Array.from(rgb, (b) => Math.fround(b / 255)))
  })
})
