import { useEffect } from 'react'
import type { StudioServices } from './store/context'
import type { StudioState } from './store/studio-store'
import { cancelJob } from './store/job-actions'
import { acceptStaged, discardStaged, stagedResult } from './store/staging'
import { importPhoto, redoRepair, undoRepair, updateRepair } from './repair/repair-actions'
import { TOOLS } from './tools'

/** A key as a shortcut names it: "Ctrl+Enter", "Ctrl+Shift+Z", "F", "[" (Ctrl is Cmd on macOS). */
export function keyName(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey'>): string {
  const key = event.key.length === 1 ? event.key.toUpperCase() : event.key
  // a symbol already says whether Shift was held ("{" is Shift+[): only letters and named keys name it
  const shift = event.shiftKey && !(event.key.length === 1 && !/[a-z]/i.test(event.key))
  return `${event.ctrlKey || event.metaKey ? 'Ctrl+' : ''}${shift ? 'Shift+' : ''}${key}`
}

export interface Shortcut {
  keys: string[]
  /** what it does, for tooltips and help */
  label: string
  /** only where this holds (the active tool) */
  when?(state: StudioState): boolean
  /** also while typing in a field (run and cancel); single keys never are */
  inFields?: boolean
  run(services: StudioServices): void
}

const inRepair = (s: StudioState) => s.tool === 'repair'
const setBrush = (services: StudioServices, patch: (brush: StudioState['repair']['brush']) => Partial<StudioState['repair']['brush']>) =>
  updateRepair(services.store, (r) => ({ brush: { ...r.brush, ...patch(r.brush) } }))

/** Every shortcut of the studio, in one place: the keys here are the keys that work. */
export const SHORTCUTS: Shortcut[] = [
  { keys: ['Ctrl+Enter'], label: "Run the active tool", inFields: true, run: (s) => TOOLS.find((t) => t.id === s.store.getState().tool)?.run?.(s) },
  { keys: ['Escape'], label: 'Cancel the running job, else discard the pending result', inFields: true, run: (s) => (s.store.getState().job ? cancelJob(s.store, s.client) : discardStaged(s.store)) },
  { keys: ['Enter'], label: 'Accept the pending result', when: (state) => stagedResult(state) !== null && !state.job, run: (s) => acceptStaged(s.store) },
  { keys: ['?'], label: 'Show the keyboard shortcuts', run: (s) => s.store.setState((state) => ({ shortcutsOpen: !state.shortcutsOpen })) },
  { keys: ['F'], label: 'Fit the canvas to its content', run: (s) => s.store.setState((state) => ({ fitRequest: state.fitRequest + 1 })) },
  { keys: ['Ctrl+Z'], label: 'Undo (Repair)', when: inRepair, run: (s) => undoRepair(s.store) },
  { keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], label: 'Redo (Repair)', when: inRepair, run: (s) => redoRepair(s.store) },
  { keys: ['B'], label: 'Brush (Repair)', when: inRepair, run: (s) => setBrush(s, () => ({ mode: 'brush' })) },
  { keys: ['E'], label: 'Eraser (Repair)', when: inRepair, run: (s) => setBrush(s, () => ({ mode: 'eraser' })) },
  { keys: ['['], label: 'Smaller brush (Repair)', when: inRepair, run: (s) => setBrush(s, (b) => ({ size: Math.max(1, b.size - 1) })) },
  { keys: [']'], label: 'Larger brush (Repair)', when: inRepair, run: (s) => setBrush(s, (b) => ({ size: Math.min(28, b.size + 1) })) }
]

/** Mouse gestures of the canvases, listed beside the keys in the shortcuts overlay. */
export const CANVAS_GESTURES: { keys: string; label: string }[] = [
  { keys: 'Wheel', label: 'Zoom the canvas around the pointer' },
  { keys: 'Space + drag, middle or right drag', label: 'Pan the canvas' },
  { keys: 'Ctrl+V', label: 'Paste an image as the photo to repair (Repair)' }
]

/** The keys of the shortcut with this label, for a tooltip: "Fit (F)". */
export function shortcutHint(label: string): string {
  const shortcut = SHORTCUTS.find((s) => s.label === label)
  return shortcut ? shortcut.keys.join(' / ') : ''
}

function typing(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement
}

/** The one keyboard listener of the window (and Ctrl+V: a pasted image becomes Repair's photo). */
export function useShortcuts(services: StudioServices): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const name = keyName(event)
      const state = services.store.getState()
      const shortcut = SHORTCUTS.find((s) => s.keys.includes(name) && (s.when?.(state) ?? true))
      if (!shortcut || (typing(event.target) && !shortcut.inFields)) return
      event.preventDefault()
      shortcut.run(services)
    }
    const onPaste = (event: ClipboardEvent) => {
      if (!inRepair(services.store.getState())) return
      const file = Array.from(event.clipboardData?.files ?? []).find((f) => f.type.startsWith('image/'))
      if (file) {
        event.preventDefault()
        void importPhoto(services.store, file)
      }
    }
    window.addEventListener('keydown', onKey)
    window.addEventListener('paste', onPaste)
    return () => {
      window.removeEventListener('keydown', onKey)
      window.removeEventListener('paste', onPaste)
    }
  }, [services])
}
