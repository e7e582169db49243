/**
 * One load per key, shared by every caller while it runs and after it succeeds; a failed load
 * is forgotten so the next caller tries again (a model file fixed on disk loads then).
 */
export class LoadCache<T> {
  private readonly loads = new Map<string, Promise<T>>()

  get(key: string, load: () => Promise<T>): Promise<T> {
    let loading = this.loads.get(key)
    if (!loading) {
      loading = load()
      this.loads.set(key, loading)
      loading.catch(() => {
        if (this.loads.get(key) === loading) this.loads.delete(key)
      })
    }
    return loading
  }

  /** Empties the cache and hands back what was in it (to release sessions). */
  drain(): Promise<T>[] {
    const all = [...this.loads.values()]
    this.loads.clear()
    return all
  }
}
