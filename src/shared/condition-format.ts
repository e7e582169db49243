/**
 * The one way a list of conditions is written, wherever it appears (gallery titles, the
 * Compose formula, opened PNGs, export file names): one class is its name, none is
 * "unconditional", two or more are the composition's formula with each weight and sign.
 */
export interface NamedCondition {
  classIndex: number
  weight: number
  /** the class's name when the result was made (an opened PNG carries it) */
  className?: string
}

function formatWeight(weight: number): string {
  return String(Math.round(Math.abs(weight) * 100) / 100)
}

function nameOf(condition: NamedCondition, classes: readonly string[]): string {
  return condition.className ?? classes[condition.classIndex] ?? `class ${condition.classIndex}`
}

/** "Sneaker ×1 + Sandal ×0.6 − Bag ×0.5"; "Sneaker"; "unconditional". */
export function describeConditions(conditions: readonly NamedCondition[], classes: readonly string[]): string {
  if (conditions.length === 0) return 'unconditional'
  if (conditions.length === 1 && conditions[0].weight === 1) return nameOf(conditions[0], classes)
  return conditions
    .map((c, i) => {
      const term = `${nameOf(c, classes)} ×${formatWeight(c.weight)}`
      if (i === 0) return c.weight < 0 ? `−${term}` : term
      return `${c.weight < 0 ? '−' : '+'} ${term}`
    })
    .join(' ')
}

/** The same list as a file-name stem, ASCII and lossless about signs: "Sneaker-x1-minus-Sandal-x0.6". */
export function conditionsFileStem(conditions: readonly NamedCondition[], classes: readonly string[]): string {
  if (conditions.length === 0) return 'unconditional'
  const clean = (text: string) => text.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-|-$/g, '')
  return conditions
    .map((c, i) => {
      const term = conditions.length === 1 && c.weight === 1 ? clean(nameOf(c, classes)) : `${clean(nameOf(c, classes))}-x${formatWeight(c.weight)}`
      if (i === 0) return c.weight < 0 ? `minus-${term}` : term
      return `${c.weight < 0 ? 'minus' : 'plus'}-${term}`
    })
    .join('-')
}
