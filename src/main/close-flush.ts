/** How long a closing window may take to save its last changes before it closes anyway. */
export const CLOSE_FLUSH_TIMEOUT_MS = 3000

export type CloseFlushOutcome = 'saved' | 'timed-out' | 'no-window'

/**
 * Lets the window save before the app closes it. Autosave holds settings back for a moment
 * (a slider drag settles first), and quitting used to end the engine at once: a setting
 * changed in that moment was lost. Now the window is asked to save what is pending and
 * answers when the engine has it; main closes the window only then, or after the timeout,
 * so a hung or crashed page cannot keep the app from quitting.
 *
 * Free of Electron so that it runs under vitest as it is (main/index.ts wires it).
 */
export class CloseFlush {
  private nextRequest = 1
  private readonly waiting = new Map<number, () => void>()

  /** Sends a save request with `send` and resolves when the window acknowledges it, or after timeoutMs. */
  request(send: (request: number) => void, timeoutMs = CLOSE_FLUSH_TIMEOUT_MS): Promise<CloseFlushOutcome> {
    const request = this.nextRequest++
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(request)
        resolve('timed-out')
      }, timeoutMs)
      this.waiting.set(request, () => {
        clearTimeout(timer)
        this.waiting.delete(request)
        resolve('saved')
      })
      try {
        send(request)
      } catch {
        // the window is already gone (destroyed between the close and this send): nothing to wait for
        clearTimeout(timer)
        this.waiting.delete(request)
        resolve('no-window')
      }
    })
  }

  /** The window's answer. False for a request that is unknown or already over (a late or forged answer). */
  acknowledge(request: number): boolean {
    const done = this.waiting.get(request)
    if (!done) return false
    done()
    return true
  }

  get pending(): boolean {
    return this.waiting.size > 0
  }
}
