import { useServices, useStudio } from '../store/context'
import { pngDataUrl } from '../canvas/pixels'

/** Every result with its parameters; click shows it on the canvas, ⤓ exports the PNG (parameters inside). */
export function Gallery() {
  const { store, host } = useServices()
  const gallery = useStudio((s) => s.gallery)
  return (
    <div className="gallery" data-testid="gallery">
      {gallery.length === 0 && <span className="muted">Results appear here.</span>}
      {gallery.map((item) => (
         <figure key={item.id} data-testid="gallery-item" data-kind={item.kind} data-seed={String(item.params.seed)} title={`${item.title} · seed ${String(item.params.seed)} · ${item.steps} steps`}>
          <img src={pngDataUrl(item.png)} alt={item.title} onClick={() => store.setState({ canvasImages: [item] })} />
          <figcaption>
            {item.title}
            <button
              className="icon"
              aria-label="Export PNG"
              onClick={() =>
                void host
                  .saveImage(`eqm-${item.title.replace(/[^A-Za-z0-9]+/g, '-')}-${String(item.params.seed)}.png`, item.png)
                  .catch((error: Error) => store.setState({ notice: { kind: 'error', text: `Export failed: ${error.message}` } }))
              }
            >
              ⤓
            </button>
          </figcaption>
        </figure>
      ))}
    </div>
  )
}
