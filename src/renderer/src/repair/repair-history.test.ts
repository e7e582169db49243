import { describe, expect, it } from 'vitest'
import { EMPTY_HISTORY, addStroke, redo, replaceDocument, undo, type RepairPhoto } from './repair-history'
import type { Stroke } from './mask'

const stroke = (x: number): Stroke => ({ points: [[x, x]], size: 3, opacity: 1, softness: 0, erase: false })
const photo = (value: number): RepairPhoto => ({ name: 'p', originalWidth: 10, originalHeight: 10, width: 2, height: 2, channels: 1, bytes: new Uint8Array(4).fill(value) })

describe('repair history', () => {
  it('undoes and redoes strokes in order', () => {
    let h = replaceDocument(EMPTY_HISTORY, 'import', { photo: photo(1), strokes: [] })
    h = addStroke(addStroke(h, stroke(1)), stroke(2))
    expect(h.document.strokes.map((s) => s.points[0][0])).toEqual([1, 2])
    h = undo(h)
    expect(h.document.strokes.map((s) => s.points[0][0])).toEqual([1])
    h = redo(h)
    expect(h.document.strokes.map((s) => s.points[0][0])).toEqual([1, 2])
  })

  it('an accepted repair is one undoable step that restores photo and strokes', () => {
    let h = addStroke(replaceDocument(EMPTY_HISTORY, 'import', { photo: photo(1), strokes: [] }), stroke(1))
    h = replaceDocument(h, 'accept', { photo: photo(9), strokes: [] })
    expect(h.document.photo!.bytes[0]).toBe(9)
    h = undo(h)
    expect(h.document.photo!.bytes[0]).toBe(1)
    expect(h.document.strokes).toHaveLength(1)
    h = redo(h)
    expect(h.document.photo!.bytes[0]).toBe(9)
  })

  it('a new change clears redo; undo at the start does nothing', () => {
    let h = addStroke(EMPTY_HISTORY, stroke(1))
    h = undo(h)
    expect(undo(h)).toBe(h)
    h = addStroke(h, stroke(2))
    expect(h.redo).toEqual([])
    expect(redo(h)).toBe(h)
  })
})
