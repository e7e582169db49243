import { useState } from 'react'
import { useServices } from '../store/context'
import { loadModels } from '../store/generate-actions'
import { useEscapeCloses } from '../components/escape-closes'
import type { ImportResult } from '../../../shared/engine-protocol'

type Kind = 'model' | 'vae'

/** What to tell the user after an import: where it went, and what the model still needs. */
export function describeImport(kind: Kind, result: ImportResult): string {
  const what = kind === 'vae' ? `VAE "${result.id}"` : `model "${result.id}"`
  const parts = [`Added ${what} (${result.seconds.toFixed(1)} s) to ${result.folder}.`]
  if (result.needsVae) parts.push(`It decodes with the VAE "${result.needsVae}": add that VAE next (its diffusers folder, id ${result.needsVae}).`)
  if (result.unavailable) parts.push(`It cannot generate: ${result.unavailable}`)
  return parts.join(' ')
}

/**
 * "Add model…": imports a published EqM checkpoint, or the SD-VAE it decodes with, into the
 * user-data models folder through the engine (the same importer as `eqm import`). The desktop
 * picks the file with a native dialog; in browser mode it is a path on the server's machine,
 * since gigabytes do not go through the page.
 */
export function AddModel() {
  const { store, client, host } = useServices()
  const [open, setOpen] = useState(false)
  const [kind, setKind] = useState<Kind>('model')
  const [source, setSource] = useState('')
  const [id, setId] = useState('')
  const [heads, setHeads] = useState('')
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ kind: 'error' | 'info'; text: string } | null>(null)

  const browse = async () => {
    const path = await host.chooseImportSource(kind)
    if (path) setSource(path)
  }
  const run = async () => {
    setBusy(true)
    setMessage({ kind: 'info', text: 'Importing… (minutes for XL/2; the studio keeps working)' })
    try {
      const result = await client.call('models.import', {
        kind,
        source: source.trim(),
        ...(id.trim() ? { id: id.trim() } : {}),
        ...(kind === 'model' && heads.trim() ? { heads: Number(heads) } : {})
      })
      setMessage({ kind: 'info', text: describeImport(kind, result) })
      await loadModels(store, client)
    } catch (error) {
      setMessage({ kind: 'error', text: `Could not import: ${(error as Error).message}` })
    } finally {
      setBusy(false)
    }
  }

  useEscapeCloses(open && !busy, () => setOpen(false))

  if (!open) {
    return (
      <button className="link" data-testid="add-model" title="Import a published EqM checkpoint or the VAE it decodes with" onClick={() => setOpen(true)}>
        Add model…
      </button>
    )
  }
  return (
    <div className="add-model" role="dialog" aria-label="Add model" data-testid="add-model-dialog">
      <strong>Add a model</strong>
      <p className="muted small">
        {kind === 'model'
          ? 'A published EqM checkpoint (.pt or .safetensors: a SiT in SD-VAE latent space, such as the ImageNet 256 models), converted once into your models folder. It decodes with the SD-VAE: add that next.'
          : 'The SD-VAE that latent models decode with, from its diffusers folder (config.json and the weights).'}
      </p>
      <div className="segmented">
        <button aria-pressed={kind === 'model'} data-testid="add-model-kind-model" onClick={() => setKind('model')}>
          EqM checkpoint
        </button>
        <button aria-pressed={kind === 'vae'} data-testid="add-model-kind-vae" onClick={() => setKind('vae')}>
          VAE folder
        </button>
      </div>
      <label>
        {kind === 'model' ? 'Checkpoint file (.pt, .safetensors)' : 'diffusers AutoencoderKL folder'}
        <input
          data-testid="add-model-source"
          autoFocus
          value={source}
          placeholder={kind === 'model' ? '/path/to/EqM-XL-2.pt' : '/path/to/sd-vae-ft-ema'}
          onChange={(e) => setSource(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !busy && source.trim() !== '') void run()
          }}
        />
        {host.mode === 'web' && <span className="muted small">a path on the server&apos;s machine: gigabytes do not go through the page</span>}
      </label>
      {host.mode === 'desktop' && (
        <button data-testid="add-model-browse" onClick={() => void browse()}>
          Browse…
        </button>
      )}
      <label>
        Id (optional)
        <input data-testid="add-model-id" value={id} placeholder={kind === 'vae' ? 'sd-vae-ft-ema' : 'from the file name'} onChange={(e) => setId(e.target.value)} />
      </label>
      {kind === 'model' && (
        <label title="Only for checkpoints without their training arguments (a bare state dict): the published models' names give it">
          Attention heads (bare state dicts only)
          <input data-testid="add-model-heads" type="number" min={1} max={1024} value={heads} onChange={(e) => setHeads(e.target.value)} />
        </label>
      )}
      <div className="row buttons">
        <button className="primary" data-testid="add-model-run" disabled={busy || source.trim() === ''} onClick={() => void run()}>
          {busy ? 'Importing…' : 'Import'}
        </button>
        <button disabled={busy} title="Esc" onClick={() => setOpen(false)}>
          Close
        </button>
      </div>
      {message && (
        <p className={message.kind === 'error' ? 'add-model-error small' : 'muted small'} data-testid="add-model-message">
          {message.text}
        </p>
      )}
    </div>
  )
}
