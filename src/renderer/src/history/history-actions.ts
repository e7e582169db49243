import type { GalleryItem, StudioStore } from '../store/studio-store'

/**
 * Removing results from the history. The last removal can be undone (its entries come back to
 * their places, newest first); the journal records both, and the image files of results that
 * nothing refers to any more are swept when the user-data folder is next opened.
 */
export function removeResults(store: StudioStore, ids: ReadonlySet<string>, label: string): void {
  const { gallery, canvasImages } = store.getState()
  const removed = gallery.filter((item) => ids.has(item.id))
  if (removed.length === 0) return
  store.setState({
    gallery: gallery.filter((item) => !ids.has(item.id)),
    canvasImages: canvasImages.filter((item) => !ids.has(item.id)),
    historyUndo: { label, items: removed }
  })
}

export function clearHistory(store: StudioStore): void {
  const count = store.getState().gallery.length
  removeResults(store, new Set(store.getState().gallery.map((item) => item.id)), `Cleared ${count} result${count === 1 ? '' : 's'}`)
}

export function undoRemoval(store: StudioStore): void {
  const undo = store.getState().historyUndo
  if (!undo) return
  store.setState((s) => {
    const present = new Set(s.gallery.map((item) => item.id))
    const back: GalleryItem[] = [...s.gallery, ...undo.items.filter((item) => !present.has(item.id))]
    return { gallery: back.sort((a, b) => b.createdAt - a.createdAt), historyUndo: null }
  })
}
