import type { StudioState, StudioStore } from './studio-store'

/** One part of the studio store, read and written as if it were a store of its own. */
export interface SliceStore<T> {
  getState(): T
  setState(patch: Partial<T> | ((state: T) => Partial<T>)): void
  subscribe(listener: (state: T, previous: T) => void): () => void
}

type SliceKey = { [K in keyof StudioState]: StudioState[K] extends object | null ? K : never }[keyof StudioState]

/**
 * A tool's state lives in the one injected studio store (one source of truth, one
 * subscription for the autosave); its actions keep their narrow view of it.
 */
export function slice<K extends SliceKey>(store: StudioStore, key: K): SliceStore<StudioState[K]> {
  return {
    getState: () => store.getState()[key],
    setState: (patch) =>
      store.setState((s) => ({ [key]: { ...s[key], ...(typeof patch === 'function' ? patch(s[key]) : patch) } }) as Partial<StudioState>),
    subscribe: (listener) => store.subscribe((s, previous) => s[key] !== previous[key] && listener(s[key], previous[key]))
  }
}
