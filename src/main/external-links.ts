/**
 * Links the app may open in the user's browser: exact URLs of the project's own pages. Anything
 * else a page asks to open (window.open, target=_blank) is refused: an https URL alone says
 * nothing about where it leads. The studio links to no outside page today; add one here when it does.
 */
export const PROJECT_LINKS: readonly string[] = []

export function isProjectLink(url: string, allowed: readonly string[] = PROJECT_LINKS): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password) return false
  return allowed.some((link) => new URL(link).href === parsed.href)
}
