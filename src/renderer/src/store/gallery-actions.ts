import { parseResultParams } from '../../../shared/result-params'
import { bytesToBase64 } from '../../../shared/base64'
import { readPngText } from '../../../shared/png-text'
import { decodePngBase64 } from '../canvas/decode-image'
import { currentModel, type GalleryItem, type StudioStore } from './studio-store'
import { describeConditions } from '../../../shared/condition-format'
import type { EngineClient } from '../host/engine-client'
import { loadComposition } from '../compose/compose-actions'

/** Puts an image's parameters back into the panel that made it, ready to run again. */
export function reloadParams(store: StudioStore, item: GalleryItem): void {
  const parsed = parseResultParams(item.params)
  if (!parsed.ok) {
    store.setState({ notice: { kind: 'error', text: `${item.title}: its parameters are incomplete (${parsed.error}), nothing to reload` } })
    return
  }
  const p = parsed.params
  const state = store.getState()
  if (p.modelId !== state.modelId) {
    store.setState({ notice: { kind: 'info', text: `This image was made with model "${p.modelId}"; the current model is "${state.modelId}". Parameters loaded anyway.` } })
  }
  if (p.kind === 'repair') {
    store.setState((s) => ({
      tool: 'repair',
      repair: { ...s.repair, settings: { ...s.repair.settings, sampler: p.sampler, seed: p.seed, lockSeed: true, strength: p.strength ?? s.repair.settings.strength, holdUnmasked: p.holdUnmasked ?? true, classIndex: p.conditions[0]?.classIndex ?? null } }
    }))
    return
  }
  if (p.conditions.length > 1) {
    if (!loadComposition(store, { conditions: p.conditions.map((c) => ({ classIndex: c.classIndex, weight: c.weight })), seed: p.seed, sampler: p.sampler })) {
      store.setState({ notice: { kind: 'error', text: `${item.title}: its classes do not fit the current model, nothing to reload` } })
    }
    return
  }
  store.setState((s) => ({
    tool: 'generate',
    generate: { ...s.generate, classIndex: p.conditions[0]?.classIndex ?? s.generate.classIndex, seed: p.seed, lockSeed: true, count: 1, sampler: p.sampler }
  }))
}

/** Opens a PNG exported by EqM Studio: it joins the gallery and its parameters return to the panel. */
export async function openParamsPng(store: StudioStore, client: EngineClient, file: File): Promise<void> {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer())
    let text: string | null
    try {
      text = readPngText(bytes)
    } catch {
      throw new Error(`${file.name}: not a PNG file`)
    }
    if (text === null) throw new Error(`${file.name}: this PNG has no EqM Studio parameters (it was not exported by EqM Studio)`)
    let params: unknown
    try {
      params = JSON.parse(text)
    } catch {
      throw new Error(`${file.name}: its EqM Studio parameters are damaged`)
    }
    const png = bytesToBase64(bytes)
    const rgba = await decodePngBase64(png)
    const parsed = parseResultParams(params)
    if (!parsed.ok) throw new Error(`${file.name}: its EqM Studio parameters are incomplete (${parsed.error})`)
    const { refs } = await client.call('store.put', { blobs: [{ data: png, type: 'png' }] })
    const item: GalleryItem = {
      id: `opened-${Date.now().toString(36)}`,
      kind: parsed.params.kind,
      image: refs[0],
      width: rgba.width,
      height: rgba.height,
      title: parsed.params.kind === 'repair' ? 'repair' : describeConditions(parsed.params.conditions, currentModel(store.getState())?.classes ?? []),
      params: parsed.params,
      steps: 0,
      gradNorm: Number.NaN,
      createdAt: Date.now()
    }
    store.setState((s) => ({ gallery: [item, ...s.gallery], canvasImages: [item], notice: null }))
    reloadParams(store, item)
  } catch (error) {
    store.setState({ notice: { kind: 'error', text: (error as Error).message } })
  }
}
