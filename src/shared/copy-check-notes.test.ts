import { describe, expect, it } from 'vitest'
import { copyCheckNotes, formatFactor } from './jobs'

describe('copyCheckNotes', () => {
  it('lists the checks that raised a score, orientation then contrast then centring, in the words the studio and the CLI print', () => {
    expect(copyCheckNotes({})).toEqual([])
    expect(copyCheckNotes({ centring: { raisedBy: 2.6 }, orientation: { copy: 'rot180', raisedBy: 3.4 }, contrast: { raisedBy: 8.7 } })).toEqual([
      { check: 'orientation', words: 'turned half round', raisedBy: 3.4 },
      { check: 'contrast', words: 'stretched to full contrast', raisedBy: 8.7 },
      { check: 'centring', words: 'moved to the centre', raisedBy: 2.6 }
    ])
  })

  it('prints factors with 2 significant digits, thousands as k', () => {
    expect([1.6609, 25.4, 999, 1234].map(formatFactor)).toEqual(['1.7', '25', '1000', '1.2k'])
  })
})
