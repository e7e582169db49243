import { FileButton } from './FileButton'
import { useServices, useStudio } from '../store/context'
import { bytesToBase64 } from '../../../shared/base64'
import { conditionsFileStem } from '../../../shared/condition-format'
import { parseResultParams } from '../../../shared/result-params'
import { useStoredImageUrl, type StoredImages } from '../history/stored-images'
import { clearHistory, removeResults, undoRemoval } from '../history/history-actions'
import { EXPORT_SCALES, scaledPng, type ExportScale } from '../history/export-image'
import { useState } from 'react'
import { matchesFilter, NO_FILTER, type HistoryFilter } from '../history/history-filter'
import { HistoryFilterBar } from './HistoryFilterBar'
import { ResultViewer } from './ResultViewer'
import { openParamsPng, reloadParams } from '../store/gallery-actions'
import { currentModel, type GalleryItem } from '../store/studio-store'

/** Every result with its parameters: show it, reload its parameters, export it; open exported PNGs. */
export function Gallery() {
  const { store, host, client, images } = useServices()
  const gallery = useStudio((s) => s.gallery)
  const historyUndo = useStudio((s) => s.historyUndo)
  const [exportScale, setExportScale] = useState<ExportScale>(1)
  const [filter, setFilter] = useState<HistoryFilter>(NO_FILTER)
  const [viewing, setViewing] = useState<GalleryItem | null>(null)
  const classes = useStudio((s) => currentModel(s)?.classes ?? NO_CLASSES)
  const shown = filter === NO_FILTER ? gallery : gallery.filter((item) => matchesFilter(item, filter, classes))
  // the generation canvas shows it: stay in Generate or Compose, else go to the tool that made it
  const showOnCanvas = (item: GalleryItem) => {
    const tool = store.getState().tool
    const keep = tool === 'generate' || tool === 'compose'
    const conditions = (item.params.conditions as unknown[] | undefined) ?? []
    store.setState({ canvasImages: [item], tool: keep ? tool : conditions.length > 1 ? 'compose' : 'generate' })
  }
  const exportItem = (item: GalleryItem) =>
    void images
      .bytes(item.image)
      .then((png) => scaledPng(png, exportScale))
      .then((png) => host.saveImage(exportName(item, currentModel(store.getState())?.classes ?? [], exportScale), bytesToBase64(png)))
      .catch((error: Error) => store.setState({ notice: { kind: 'error', text: `Export failed: ${error.message}` } }))
  return (
    <div className="gallery" data-testid="gallery">
      <div className="gallery-actions">
        <FileButton accept="image/png" testId="open-png" title="Open a PNG exported by EqM Studio: its parameters come back" onFile={(file) => void openParamsPng(store, client, file)}>
          Open PNG…
        </FileButton>
        <span className="muted small" data-testid="gallery-count">
          {shown.length === gallery.length ? `${gallery.length} results` : `${shown.length} of ${gallery.length} results`}
        </span>
        <label className="export-scale small" title="Export size: 1× is the model's own size; 4× and 8× enlarge it (nearest neighbour). The parameters go with it.">
          Export
          <select data-testid="export-scale" value={exportScale} onChange={(e) => setExportScale(Number(e.target.value) as ExportScale)}>
            {EXPORT_SCALES.map((s) => (
              <option key={s} value={s}>
                {`${s}×`}
              </option>
            ))}
          </select>
        </label>
        {gallery.length > 0 && (
          <button className="link" data-testid="clear-history" title="Remove every result (undo brings them back)" onClick={() => clearHistory(store)}>
            Clear
          </button>
        )}
        {historyUndo && (
          <span className="small" data-testid="history-undo">
            {historyUndo.label}.{' '}
            <button className="link" data-testid="undo-removal" onClick={() => undoRemoval(store)}>
              Undo
            </button>
          </span>
        )}
      </div>
      {/* its own column beside the actions, so Open PNG… stays in view in the short history strip */}
      {gallery.length > 0 && <HistoryFilterBar filter={filter} classes={classes} onChange={setFilter} />}
      {gallery.length === 0 && <span className="muted">Results appear here, each with the parameters that made it.</span>}
      {gallery.length > 0 && shown.length === 0 && (
        <span className="muted" data-testid="gallery-none">
          No result matches the filters.{' '}
          <button className="link" onClick={() => setFilter(NO_FILTER)}>
            Show all
          </button>
        </span>
      )}
      {viewing && <ResultViewer images={images} item={viewing} onClose={() => setViewing(null)} />}
      {shown.map((item) => (
        <figure key={item.id} data-testid="gallery-item" data-kind={item.kind} data-seed={String(item.params.seed)} data-precision={item.params.precision === 'int8' ? 'int8' : 'fp32'} data-stopped={item.stoppedEarly ? 'true' : undefined} title={`${item.title} · seed ${String(item.params.seed)}${item.steps ? ` · ${item.steps} steps` : ''}${item.params.precision === 'int8' ? ' · int8' : ''}${item.stoppedEarly ? ' · stopped early' : ''}`}>
          <StoredImage images={images} item={item} onClick={() => showOnCanvas(item)} />
          <figcaption>
            <span className="caption">
              {item.stoppedEarly && <span title="Stopped early: the descent was ended by hand and this state kept">⏹ </span>}
              {item.title}
            </span>
            <span className="actions">
              <button className="icon" aria-label="View full size" data-testid="view-full" title="View full size, with zoom" onClick={() => setViewing(item)}>
                ⤢
              </button>
              <button className="icon" aria-label="Reload parameters" data-testid="reload-params" title="Reload parameters into the panel" onClick={() => reloadParams(store, item)}>
                ↺
              </button>
              <button className="icon" aria-label="Delete" data-testid="delete-result" title="Remove from the history (undo brings it back)" onClick={() => removeResults(store, new Set([item.id]), `Removed ${item.title}`)}>
                ✕
              </button>
              <button className="icon" aria-label="Export PNG" data-testid="export-png" title="Export PNG (parameters inside)" onClick={() => exportItem(item)}>
                ⤓
              </button>
            </span>
          </figcaption>
        </figure>
      ))}
    </div>
  )
}

const NO_CLASSES: readonly string[] = []

/** eqm-<conditions, signs kept>-<seed>.png; a repair says so. */
function exportName(item: GalleryItem, classes: readonly string[], scale: ExportScale): string {
  const parsed = parseResultParams(item.params)
  const stem = parsed.ok ? `${parsed.params.kind === 'repair' ? 'repair-' : ''}${conditionsFileStem(parsed.params.conditions, classes)}` : item.title.replace(/[^A-Za-z0-9.]+/g, '-')
  return `eqm-${stem}-${String(item.params.seed)}${scale === 1 ? '' : `-x${scale}`}.png`
}

function StoredImage({ images, item, onClick }: { images: StoredImages; item: GalleryItem; onClick: () => void }) {
  const url = useStoredImageUrl(images, item.image)
  return <img src={url} alt={item.title} loading="lazy" width={item.width} height={item.height} onClick={onClick} />
}
