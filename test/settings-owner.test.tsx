import { afterEach, describe, expect, it, vi } from 'vitest'
import { renderToStaticMarkup } from 'react-dom/server'
import { createElement } from 'react'

/**
 * One owner per setting: change a default (and a description) in src/shared/settings.ts
 * alone, and the schema, the studio's field, the CLI help and the session codec all follow.
 */
const CHANGED_DEFAULT = 0.37
const CHANGED_WORDS = 'A description written only in the settings module.'

describe('the settings module owns each default', () => {
  afterEach(() => {
    vi.doUnmock('../src/shared/settings')
    vi.resetModules()
  })

  it('a changed repair-strength default reaches schema, UI field, CLI help and codec', async () => {
    vi.resetModules()
    vi.doMock('../src/shared/settings', async (importOriginal) => {
      const real = await importOriginal<typeof import('../src/shared/settings')>()
      return { ...real, REPAIR: { ...real.REPAIR, strength: { ...real.REPAIR.strength, default: CHANGED_DEFAULT, description: CHANGED_WORDS } } }
    })
    const { resolveStudioDefaults } = await import('../src/shared/manifest')
    const { SliderField } = await import('../src/renderer/src/components/fields')
    const { createStudioStore } = await import('../src/renderer/src/store/studio-store')
    const { REPAIR } = await import('../src/shared/settings')
    const { helpText } = await import('../src/cli/help')
    const { encodeSession, decodeSession } = await import('../src/renderer/src/session/session-codec')

    // schema: a manifest without a studio block resolves to the setting's default
    const sampler = { method: 'nag' as const, stepSize: 0.05, mu: 0.3, maxSteps: 10, stopGradNorm: 0, cfg: 1 }
    expect(resolveStudioDefaults(undefined, sampler).repair.strength).toBe(CHANGED_DEFAULT)

    // UI: the store starts from it, and the field shows it with the setting's words as tooltip
    const store = createStudioStore()
    const value = store.getState().repair.settings.strength
    expect(value).toBe(CHANGED_DEFAULT)
    const html = renderToStaticMarkup(createElement(SliderField, { setting: REPAIR.strength, value, onChange: () => undefined }))
    expect(html).toContain(`value="${CHANGED_DEFAULT}"`)
    expect(html).toContain(CHANGED_WORDS)

    // CLI help
    expect(helpText()).toContain(`else ${CHANGED_DEFAULT}`)
    expect(helpText()).toContain(CHANGED_WORDS)

    // codec: a saved session without the field restores the setting's default
    const saved = JSON.parse(JSON.stringify(encodeSession(store.getState())))
    delete saved.repair.settings.strength
    const decoded = decodeSession({ session: saved, history: [], photo: () => undefined }, createStudioStore().getState())
    expect(decoded.problems).toEqual([])
    expect(decoded.state.repair?.settings.strength).toBe(CHANGED_DEFAULT)
  })

  it('the CPU precision control, its contract schema and the CLI help read CPU_PRECISION', async () => {
    vi.resetModules()
    vi.doMock('../src/shared/settings', async (importOriginal) => {
      const real = await importOriginal<typeof import('../src/shared/settings')>()
      const choices = real.CPU_PRECISION.choices.map((c) => (c.value === 'int8' ? { ...c, label: 'eight-bit (owned label)' } : c))
      return { ...real, CPU_PRECISION: { ...real.CPU_PRECISION, label: 'Owned precision label', description: CHANGED_WORDS, choices } }
    })
    const { CpuPrecisionSelect } = await import('../src/renderer/src/components/CpuPrecisionSelect')
    const { StudioContext } = await import('../src/renderer/src/store/context')
    const { createStudioStore } = await import('../src/renderer/src/store/studio-store')
    const { engineParamSchemas } = await import('../src/shared/engine-schemas')
    const { helpText } = await import('../src/cli/help')
    const { createStore } = await import('zustand/vanilla')

    const engineInfo = { version: 'x', active: 'cpu' as const, requested: 'cpu' as const, providers: [], cpuPrecision: { requested: 'int8' as const, loaded: [{ modelId: 'm', precision: 'int8' as const }] } }
    const store = createStore(() => ({ ...createStudioStore().getState(), engineInfo, modelId: 'm' }))
    const html = renderToStaticMarkup(createElement(StudioContext.Provider, { value: { store } as never }, createElement(CpuPrecisionSelect)))
    expect(html).toContain('Owned precision label')
    expect(html).toContain('eight-bit (owned label)')
    expect(html).toContain(CHANGED_WORDS)
    expect(html).toContain('int8 (CPU)')
    expect(helpText()).toContain(CHANGED_WORDS)
    expect(engineParamSchemas['engine.setCpuPrecision'].safeParse({ precision: 'int8' }).success).toBe(true)
    expect(engineParamSchemas['engine.setCpuPrecision'].safeParse({ precision: 'int4' }).success).toBe(false)
  })

  it('without the change, the shipped default is what everyone sees', async () => {
    const { REPAIR } = await import('../src/shared/settings')
    const { helpText } = await import('../src/cli/help')
    expect(REPAIR.strength.default).not.toBe(CHANGED_DEFAULT)
    expect(helpText()).toContain(`else ${REPAIR.strength.default}`)
  })
})
