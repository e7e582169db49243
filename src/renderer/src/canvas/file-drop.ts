import { useState, type DragEvent } from 'react'

/**
 * A canvas that takes a dropped file: whether one is over it (to highlight the drop target)
 * and the handlers to spread on its element. The browser's default (opening the file in the
 * tab) is prevented.
 */
export function useFileDrop(onFile: (file: File) => void) {
  const [dragOver, setDragOver] = useState(false)
  return {
    dragOver,
    handlers: {
      onDragOver: (e: DragEvent) => {
        e.preventDefault()
        setDragOver(true)
      },
      onDragLeave: () => setDragOver(false),
      onDrop: (e: DragEvent) => {
        e.preventDefault()
        setDragOver(false)
        const file = e.dataTransfer.files[0]
        if (file) onFile(file)
      }
    }
  }
}
