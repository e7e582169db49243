import type { ProviderName, ProviderStatus } from '../shared/engine-protocol'
import { PROVIDER_NAMES } from '../shared/engine-protocol'
import { precheckProvider, thisMachine, type MachineFacts } from './provider-precheck'

/** Fastest first; CPU always last, always there. */
export const PROVIDER_PREFERENCE: readonly ProviderName[] = PROVIDER_NAMES

/** Tries one provider on a real model: creating its session is where a missing GPU or library shows. */
export type ProviderTrial = (provider: ProviderName) => Promise<void>

export interface ProviderChoice {
  active: ProviderName
  statuses: ProviderStatus[]
}

/**
 * Picks the execution provider: the requested one if it works, else the first that works
 * in preference order. Every provider not used keeps the reason, for the UI and `eqm models`.
 */
export async function chooseProvider(
  requested: ProviderName | 'auto',
  trial: ProviderTrial,
  machine: MachineFacts = thisMachine()
): Promise<ProviderChoice> {
  const order = requested === 'auto' ? PROVIDER_PREFERENCE : [requested, ...PROVIDER_PREFERENCE.filter((p) => p !== requested)]
  const statuses = new Map<ProviderName, ProviderStatus>()
  let active: ProviderName | null = null
  for (const name of order) {
    if (active) {
      statuses.set(name, { name, available: false, reason: `not tried: ${active} is in use` })
      continue
    }
    const ruledOut = precheckProvider(name, machine)
    if (ruledOut) {
      statuses.set(name, { name, available: false, reason: ruledOut })
      continue
    }
    try {
      await trial(name)
      active = name
      statuses.set(name, { name, available: true })
    } catch (error) {
      statuses.set(name, { name, available: false, reason: shortReason(error) })
    }
  }
  if (!active) throw new Error(`no execution provider could run the model (cpu: ${statuses.get('cpu')?.reason})`)
  if (requested !== 'auto' && active !== requested) {
    const status = statuses.get(requested)
    if (status) status.reason = `requested but failed: ${status.reason}`
  }
  return { active, statuses: PROVIDER_PREFERENCE.map((p) => statuses.get(p)!) }
}

function shortReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  // onnxruntime's messages start with a source path; the part after the last ':' (a
  // sentence) is what a user can act on, e.g. "Failed to get a WebGPU adapter".
  const firstLine = text.split('\n')[0]
  const sentence = firstLine
    .replace(/^.*? on [a-z]+: /, '')
    .replace(/^.*?was false\.\s*/, '')
    .replace(/^\/onnxruntime_src\/\S+\s+/, '')
  return sentence.length > 200 ? `${sentence.slice(0, 200)}…` : sentence
}
