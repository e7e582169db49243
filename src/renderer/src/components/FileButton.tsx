import { useRef, type ReactNode } from 'react'

/**
 * A button that opens the system file picker: the input stays hidden (tests and drag-free
 * users reach it by its test id) and is reset after each pick, so choosing the same file
 * again still fires.
 */
export function FileButton(props: { accept: string; testId: string; title?: string; children: ReactNode; onFile(file: File): void }) {
  const input = useRef<HTMLInputElement>(null)
  return (
    <>
      <input
        ref={input}
        type="file"
        accept={props.accept}
        hidden
        data-testid={props.testId}
        onChange={(e) => {
          const file = e.target.files?.[0]
          if (file) props.onFile(file)
          e.target.value = ''
        }}
      />
      <button onClick={() => input.current?.click()} title={props.title}>
        {props.children}
      </button>
    </>
  )
}
