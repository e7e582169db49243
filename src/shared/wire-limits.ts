/**
 * The bounds every side of the engine contract agrees on, in one place: the renderer checks
 * before it sends, the browser-mode server before it forwards, the engine before it acts
 * (the CLI calls it in-process, past the server). Nothing deeper or larger is serialised.
 */

/** One WebSocket message (a whole OOD batch of images rides in one request). */
export const MAX_WIRE_MESSAGE_BYTES = 96 * 1024 * 1024

/** Largest autosaved session; results are small PNGs, so this is generous. */
export const MAX_SESSION_BYTES = 64 * 1024 * 1024

/**
 * Deepest nesting of arrays/objects in a message. A studio session is about 8 deep; JSON.stringify
 * and structured clone recurse, so a 5000-deep value overflows the stack where it is serialised.
 */
export const MAX_JSON_DEPTH = 64

/** Jobs (generate, repair, OOD, classify) one connection may have queued or running at once. */
export const MAX_JOBS_PER_CONNECTION = 16

/**
 * Nesting depth of a parsed value, counted without recursion (so it cannot overflow itself);
 * stops counting once past `limit`. A scalar is depth 0, `[]` and `{}` are depth 1.
 */
export function jsonDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let deepest = 0
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!
    if (typeof item !== 'object' || item === null) continue
    const here = depth + 1
    if (here > deepest) deepest = here
    if (deepest > limit) return deepest
    const children = Array.isArray(item) ? item : Object.values(item)
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, here])
  }
  return deepest
}

/** Why a value may not cross the contract, or null when it may. */
export function describeDepthProblem(value: unknown, what: string): string | null {
  const depth = jsonDepth(value)
  return depth > MAX_JSON_DEPTH ? `${what} is nested more than ${MAX_JSON_DEPTH} levels deep` : null
}
