import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectInProcess, installBrowserGlobals } from '../../../../test/support/in-process-engine'
import { FIXTURE_MODELS } from '../../../../test/support/paths'
import { EngineClient } from '../host/engine-client'
import { Engine } from '../../../engine/engine'
import { createStudioStore } from './studio-store'
import { loadModels } from './generate-actions'

// A models root with a good model and a dangling link: the studio loads the model and says
// which folder was not loaded, and why.
const root = mkdtempSync(join(tmpdir(), 'eqm-problems-'))
cpSync(join(FIXTURE_MODELS, 'quadratic'), join(root, 'quadratic'), { recursive: true })
symlinkSync(join(root, 'gone'), join(root, 'dangling'))
const engine = new Engine({ modelRoots: [root], frameIntervalMs: 0 })

beforeAll(installBrowserGlobals)
afterAll(() => engine.dispose())

describe('model folders the engine could not load', () => {
  it('are shown in the studio with their reason, and the good model is chosen', async () => {
    const store = createStudioStore()
    const client = new EngineClient()
    connectInProcess(engine, client)
    await loadModels(store, client)
    expect(store.getState().modelId).toBe('quadratic')
    expect(store.getState().notice).toEqual({ kind: 'info', text: expect.stringMatching(/^One model folder was not loaded \(dangling: .*dangling cannot be opened \(ENOENT\)/) })
  })
})
