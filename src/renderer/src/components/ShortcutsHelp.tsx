import { useEscapeCloses } from './escape-closes'
import { useServices, useStudio } from '../store/context'
import { CANVAS_GESTURES, SHORTCUTS } from '../shortcuts'

/**
 * The keyboard shortcuts and canvas gestures, over the studio: opened with ? or the header's
 * "Shortcuts" button, closed with Esc, ? or a click outside. Listed from SHORTCUTS itself, so
 * it cannot drift from the keys that work.
 */
export function ShortcutsHelp() {
  const { store } = useServices()
  const open = useStudio((s) => s.shortcutsOpen)
  const close = () => store.setState({ shortcutsOpen: false })
  useEscapeCloses(open, close)
  if (!open) return null
  return (
    <div className="shortcuts-help" role="dialog" aria-label="Keyboard shortcuts" data-testid="shortcuts-help" onClick={(e) => e.target === e.currentTarget && close()}>
      <div className="shortcuts-help-card">
        <div className="shortcuts-help-title">
          <strong>Keyboard shortcuts</strong>
          <button aria-label="Close" title="Esc" onClick={close}>
            ✕
          </button>
        </div>
        <table>
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.label} data-testid="shortcut-row">
                <td>
                  {s.keys.map((k, i) => (
                    <span key={k}>
                      {i > 0 && ' / '}
                      <kbd>{k}</kbd>
                    </span>
                  ))}
                </td>
                <td>{s.label}</td>
              </tr>
            ))}
            {CANVAS_GESTURES.map((g) => (
              <tr key={g.label}>
                <td>
                  <kbd>{g.keys}</kbd>
                </td>
                <td>{g.label}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted small">Ctrl is Cmd on macOS. Single keys do nothing while you type in a field.</p>
      </div>
    </div>
  )
}
