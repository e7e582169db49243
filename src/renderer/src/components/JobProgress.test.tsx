import { afterEach, describe, expect, it, vi } from 'vitest'
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { JobProgress } from './JobProgress'
import { StudioContext, type StudioServices } from '../store/context'
import { createStore } from 'zustand/vanilla'
import { createStudioStore, type LiveJob, type StudioState } from '../store/studio-store'

// Seconds-per-step models (a latent XL/2 on a CPU): the bar says how long the current step has run.
function render(job: LiveJob): string {
  // server rendering reads a store's initial state: start the store with the job in it
  const store = createStore<StudioState>(() => ({ ...createStudioStore().getState(), job }))
  const services = { store } as unknown as StudioServices
  return renderToStaticMarkup(createElement(StudioContext.Provider, { value: services }, createElement(JobProgress)))
}

const base: LiveJob = { jobId: 'j', kind: 'generate', tool: 'generate', stopGradNorm: null, onClock: false, state: 'running', step: 2, maxSteps: 250, active: 1, count: 1, startedAt: 0, preview: null, gradHistory: [] }

describe('job progress for slow steps', () => {
  afterEach(() => vi.restoreAllMocks())

  it('shows the running step and the seconds per step when steps take seconds', () => {
    vi.spyOn(performance, 'now').mockReturnValue(13_000)
    const html = render({ ...base, lastFrameAt: 10_000 })
    expect(html).toContain('data-testid="step-progress"')
    expect(html).toContain('step 3 running 3 s (about 5.0 s per step)')
  })

  it('stays quiet for fast models', () => {
    vi.spyOn(performance, 'now').mockReturnValue(130)
    expect(render({ ...base, lastFrameAt: 100 })).not.toContain('step-progress')
  })

  it('says a clock job moves every sample, where a descent says how many are still descending', () => {
    vi.spyOn(performance, 'now').mockReturnValue(130)
    expect(render({ ...base, lastFrameAt: 100, count: 16, active: 16 })).toContain('16 of 16 descending')
    const clock = render({ ...base, lastFrameAt: 100, count: 16, active: 16, onClock: true })
    expect(clock).toContain('16 samples on the clock')
    expect(clock).not.toContain('descending')
  })
})
