import { useEffect, useMemo, useRef, useState } from 'react'
import { useServices, useStudio } from '../store/context'
import { currentModel } from '../store/studio-store'
import { ScoreChart } from './ScoreChart'
import { copyCheckNotes, formatFactor, type CopyCheckNote } from '../../../shared/jobs'
import { datasetName, describePercentile, filterEntries, formatScore, sortEntries, summarize, type FilterKey, type OodEntry, type SortKey } from './ood-logic'
import { filesFromDrop, importOodFiles } from './ood-actions'
import { oodSlice, useOod } from './ood-store'
import './ood.css'

export const FILE_INPUT_ID = 'ood-file-input'
export const FOLDER_INPUT_ID = 'ood-folder-input'

export function openOodPicker(kind: 'files' | 'folder'): void {
  document.getElementById(kind === 'files' ? FILE_INPUT_ID : FOLDER_INPUT_ID)?.click()
}

const FILTERS: { key: FilterKey; label: string }[] = [
  { key: 'all', label: 'All' },
  { key: 'flagged', label: 'Flagged' },
  { key: 'passed', label: 'Passed' },
  { key: 'errors', label: 'Errors' }
]

/** The OOD check's main view: the score chart over the list of imported images. Drop files or folders anywhere on it. */
export function OodView() {
  const { store, client } = useServices()
  const ood = oodSlice(store)
  const model = useStudio(currentModel)
  const entries = useOod((s) => s.entries)
  const sort = useOod((s) => s.sort)
  const filter = useOod((s) => s.filter)
  const selected = useOod((s) => s.selected)
  const scoredWith = useOod((s) => s.modelId)
  // class names only for scores of the current model (another model's class indices mean other classes)
  const classNames = model && (!scoredWith || scoredWith === model.id) ? model.classes : []
  const [dragging, setDragging] = useState(false)
  const list = useRef<HTMLDivElement>(null)
  const shown = useMemo(() => sortEntries(filterEntries(entries, filter), sort), [entries, filter, sort])
  const summary = useMemo(() => summarize(entries), [entries])
  const calibration = model?.ood ?? null

  // a marker clicked on the chart scrolls its row into view
  useEffect(() => {
    if (!selected) return
    list.current?.querySelector(`[data-id="${selected}"]`)?.scrollIntoView({ block: 'nearest' })
  }, [selected])

  // pasted images (a screenshot, a copied file) join the list too
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const files = Array.from(event.clipboardData?.files ?? [])
      if (files.length === 0) return
      const target = event.target as HTMLElement | null
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return
      event.preventDefault()
      void importOodFiles(ood, client, model, files.map((f, i) => (f.name && f.name !== 'image.png' ? f : new File([f], `pasted-${Date.now().toString(36)}-${i}.png`, { type: f.type }))))
    }
    window.addEventListener('paste', onPaste)
    return () => window.removeEventListener('paste', onPaste)
  }, [client, model])

  const select = (id: string) => ood.setState((s) => ({ selected: s.selected === id ? null : id }))
  const counts: Record<FilterKey, number> = { all: summary.total, flagged: summary.flagged, passed: summary.passed, errors: summary.errors }

  return (
    <div
      className={`ood-view${dragging ? ' drop-target' : ''}`}
      data-testid="ood-view"
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return
        e.preventDefault()
        e.dataTransfer.dropEffect = 'copy'
        setDragging(true)
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false)
      }}
      onDrop={(e) => {
        e.preventDefault()
        setDragging(false)
        const transfer = e.dataTransfer
        void filesFromDrop(transfer)
          .then((files) => importOodFiles(ood, client, model, files))
          .catch((error: Error) => ood.setState({ message: { kind: 'error', text: `The dropped items could not be read: ${error.message}` } }))
      }}
    >
      {entries.length === 0 ? (
        <div className="ood-empty">
          <div className="ood-empty-card">
            <h3>Does an image belong?</h3>
            <p className="muted">
              Drop images or whole folders here, or paste an image. Each one is converted to what {model ? model.title : 'the model'} sees and scored against the landscape it learned; images unlike its training data are flagged.
            </p>
            <div className="row buttons">
              <button className="primary" onClick={() => openOodPicker('files')} disabled={!model}>
                Choose images…
              </button>
              <button onClick={() => openOodPicker('folder')} disabled={!model}>
                Choose a folder…
              </button>
            </div>
            {calibration && <ScoreChart calibration={calibration} entries={[]} selected={null} onSelect={() => {}} />}
          </div>
        </div>
      ) : (
        <>
          {model && scoredWith && scoredWith !== model.id && (
            <div className="ood-stale" data-testid="ood-stale">
              These scores come from the model “{scoredWith}”; the current model is “{model.id}”. The next import starts a new list scored with it.
            </div>
          )}
          <section className="ood-card">
            <div className="ood-card-head">
              <strong>{calibration ? 'Scores of real images' : 'Scores'}</strong>
              <span className="muted small subtitle">
                {calibration ? `bars: real ${model ? datasetName(model.provenance, model.title) : ''} images (from ${calibration.quantiles.length} calibration quantiles) · ticks: your images` : 'this model has no calibration'}
              </span>
              <span className="spacer" />
              {calibration && (
                <span className="legend">
                  <i className="dot passed" /> passed <i className="dot flagged" /> flagged
                </span>
              )}
            </div>
            <ScoreChart calibration={calibration} entries={entries} selected={selected} onSelect={select} />
          </section>
          <div className="ood-toolbar">
            <div className="segmented" role="group" aria-label="Filter">
              {FILTERS.filter((f) => calibration || (f.key !== 'flagged' && f.key !== 'passed')).map((f) => (
                <button key={f.key} aria-pressed={filter === f.key} data-testid={`ood-filter-${f.key}`} onClick={() => ood.setState({ filter: f.key })}>
                  {f.label} <span className="count">{counts[f.key]}</span>
                </button>
              ))}
            </div>
            <span className="spacer" />
            <label className="inline">
              Sort
              <select data-testid="ood-sort" value={sort} onChange={(e) => ood.setState({ sort: e.target.value as SortKey })}>
                <option value="import">as imported</option>
                <option value="score-desc">score, highest first</option>
                <option value="score-asc">score, lowest first</option>
                <option value="name">name</option>
              </select>
            </label>
          </div>
          <div className="ood-list" ref={list} data-testid="ood-list">
            <div className="ood-row head">
              <span />
              <span>Image</span>
              <span className="num">Score</span>
              <span>Among real images</span>
              <span>Verdict</span>
            </div>
            {shown.map((entry) => (
              <Row key={entry.id} entry={entry} selected={entry.id === selected} onSelect={select} classes={classNames} />
            ))}
            {shown.length === 0 && <p className="muted ood-none">No images match this filter.</p>}
          </div>
        </>
      )}
    </div>
  )
}

/** Why each copy check's note matters, for its tooltip (the copy's words go in). */
const COPY_CHECK_WHY: Record<CopyCheckNote['check'], (words: string) => string> = {
  orientation: (words) => `A copy of the image ${words} looks more typical than the image itself, more than real images' copies do: the image probably stands differently from the training images.`,
  contrast: (words) =>
    `The image ${words} (its darkest value moved to black, its brightest to white) looks more typical than the image itself, more than real images do: the image was probably dimmed or washed out.`,
  centring: (words) =>
    `The image ${words} (its content's centre of brightness moved to the middle of the frame) looks more typical than the image itself, more than real images do: the image was probably shifted off-centre.`
}

function Row({ entry, selected, onSelect, classes }: { entry: OodEntry; selected: boolean; onSelect(id: string): void; classes: readonly string[] }) {
  const comparedWith = entry.status === 'done' && entry.comparedWithClass !== undefined ? classes[entry.comparedWithClass] : undefined
  const verdict =
    entry.status === 'error'
      ? { cls: 'error', text: 'Error' }
      : entry.status !== 'done'
        ? { cls: 'pending', text: entry.status === 'scoring' ? 'Scoring…' : 'Reading…' }
        : entry.flagged === true
          ? { cls: 'flagged', text: 'Outside' }
          : entry.flagged === false
            ? { cls: 'passed', text: 'Inside' }
            : { cls: 'uncalibrated', text: 'Uncalibrated' }
  return (
    <div
      className={`ood-row${selected ? ' selected' : ''}`}
      data-testid="ood-row"
      data-id={entry.id}
      data-name={entry.name}
      data-status={entry.status}
      data-flagged={entry.flagged === undefined || entry.flagged === null ? '' : String(entry.flagged)}
      data-score={entry.score ?? ''}
      tabIndex={0}
      role="button"
      aria-pressed={selected}
      onClick={() => onSelect(entry.id)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault()
          onSelect(entry.id)
        }
      }}
    >
      <span className="thumb">{entry.thumb ? <img src={entry.thumb} alt="" data-testid="ood-thumb" title="What the model sees" /> : <span className="thumb-empty" />}</span>
      <span className="name">
        <span className="file" title={entry.name}>
          {entry.name}
        </span>
        {entry.status === 'error' ? (
          <span className="error-text" data-testid="ood-error">
            {entry.error}
          </span>
        ) : (
          entry.original && (
            <span className="muted small">
              {entry.original.width}×{entry.original.height}
            </span>
          )
        )}
      </span>
      <span className="num" data-testid="ood-score">
        {entry.status === 'done' ? formatScore(entry.score) : '–'}
      </span>
      <span className="muted">
        {entry.status === 'done' ? describePercentile(entry.percentile) : ''}
        {comparedWith && (
          <span className="small compared-with" data-testid="ood-compared-with" title={`The model found this image most like ${comparedWith} and measured it against real images of that class`}>
            compared with {comparedWith}
          </span>
        )}
        {entry.status === 'done' &&
          copyCheckNotes(entry).map((note) => (
            <span key={note.check} className="small compared-with" data-testid={`ood-${note.check}`} title={`${COPY_CHECK_WHY[note.check](note.words)} Its score was multiplied by ${formatFactor(note.raisedBy)}.`}>
              {note.words} fits better (score ×{formatFactor(note.raisedBy)})
            </span>
          ))}
      </span>
      <span>
        <span className={`badge ${verdict.cls}`} data-testid="ood-verdict" title={verdict.cls === 'flagged' ? 'Outside what the model knows' : verdict.cls === 'passed' ? 'Within the range of real training-like images' : undefined}>
          {verdict.text}
        </span>
      </span>
    </div>
  )
}
