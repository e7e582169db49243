import { useStudio } from '../store/context'

/** Says, for as long as it holds, that this view saves nothing because another one has the session. */
export function ReadOnlyBanner() {
  const readOnly = useStudio((s) => s.readOnly)
  if (!readOnly) return null
  return (
    <div className="banner info" role="status" data-testid="read-only">
      Read-only: {readOnly}
    </div>
  )
}
