import { useEffect, useMemo, useRef, useState } from 'react'
import type { OodCalibration } from '../../../shared/manifest'
import { chartAxis, formatScore, histogramFromQuantiles, niceTicks, type OodEntry } from './ood-logic'

const HEIGHT = 172
const MARGIN = { left: 16, right: 16, top: 22, bottom: 50 }
const BINS = 48

/**
 * The in-distribution score distribution (from the calibration's quantiles) with the
 * threshold, and every imported image as a tick at its score. Plain SVG.
 */
export function ScoreChart(props: { calibration: OodCalibration | null; entries: OodEntry[]; selected: string | null; onSelect(id: string): void }) {
  const { calibration, entries, selected, onSelect } = props
  const box = useRef<HTMLDivElement>(null)
  const [width, setWidth] = useState(640)
  useEffect(() => {
    const element = box.current
    if (!element) return
    const observer = new ResizeObserver(() => setWidth(Math.max(240, element.clientWidth)))
    observer.observe(element)
    setWidth(Math.max(240, element.clientWidth))
    return () => observer.disconnect()
  }, [])

  const scored = entries.filter((e) => e.status === 'done' && e.score !== undefined && Number.isFinite(e.score))
  const scores = scored.map((e) => e.score!)
  const axis = useMemo(() => chartAxis(calibration?.quantiles ?? null, calibration?.threshold ?? null, scores), [calibration, scores.join(',')])
  const histogram = useMemo(() => {
    if (!calibration) return null
    try {
      return histogramFromQuantiles(calibration.quantiles, axis.lo, axis.hi, BINS)
    } catch {
      return null
    }
  }, [calibration, axis.lo, axis.hi])

  const plotWidth = width - MARGIN.left - MARGIN.right
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom
  const x = (value: number) => MARGIN.left + ((Math.min(axis.hi, Math.max(axis.lo, value)) - axis.lo) / (axis.hi - axis.lo)) * plotWidth
  const baseline = MARGIN.top + plotHeight
  const maxDensity = histogram ? Math.max(...histogram.density, 1e-12) : 1
  const ticks = niceTicks(axis.lo, axis.hi, Math.max(3, Math.floor(plotWidth / 90)))
  const threshold = calibration?.threshold
  const selectedEntry = scored.find((e) => e.id === selected)

  return (
    <div className="ood-chart" ref={box} data-testid="ood-chart" data-markers={scored.length} data-threshold={threshold ?? ''}>
      <svg width={width} height={HEIGHT} role="img" aria-label="In-distribution score histogram with the imported images marked">
        {threshold !== undefined && (
          <rect className="flag-zone" x={x(threshold)} y={MARGIN.top - 8} width={Math.max(0, MARGIN.left + plotWidth - x(threshold))} height={plotHeight + 8} />
        )}
        {histogram &&
          histogram.density.map((d, i) => {
            const h = (d / maxDensity) * (plotHeight - 6)
            const x0 = x(histogram.edges[i])
            const x1 = x(histogram.edges[i + 1])
            if (h <= 0) return null
            return (
              <rect key={i} className={`bar${threshold !== undefined && histogram.edges[i] >= threshold ? ' beyond' : ''}`} x={x0 + 0.5} y={baseline - h} width={Math.max(0.5, x1 - x0 - 1)} height={h}>
                <title>{`${formatScore(histogram.edges[i])}–${formatScore(histogram.edges[i + 1])}: ${(histogram.mass[i] * 100).toFixed(1)}% of real images`}</title>
              </rect>
            )
          })}
        <line className="axis" x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={baseline} y2={baseline} />
        {ticks.map((t) => (
          <g key={t}>
            <line className="axis" x1={x(t)} x2={x(t)} y1={baseline} y2={baseline + 4} />
            <text className="tick" x={x(t)} y={baseline + 15} textAnchor="middle">
              {formatScore(t)}
            </text>
          </g>
        ))}
        {threshold !== undefined && (
          <g data-testid="ood-threshold">
            <line className="threshold" x1={x(threshold)} x2={x(threshold)} y1={MARGIN.top - 10} y2={baseline} />
            <text className="threshold-label" x={x(threshold) + 5} y={MARGIN.top - 1}>
              threshold {formatScore(threshold)} · flagged beyond →
            </text>
          </g>
        )}
        {scored.map((e) => {
          const off = e.score! > axis.hi
          const cx = off ? MARGIN.left + plotWidth - 2 : x(e.score!)
          const cls = e.flagged === true ? 'flagged' : e.flagged === false ? 'passed' : 'uncalibrated'
          return (
            <g key={e.id} className={`marker ${cls}${e.id === selected ? ' selected' : ''}`} onClick={() => onSelect(e.id)} data-testid="ood-marker">
              <line x1={cx} x2={cx} y1={baseline + 27} y2={baseline + 38} />
              <path d={off ? `M${cx - 5},${baseline + 21} l7,4 l-7,4 z` : `M${cx},${baseline + 20} l-4.5,7 l9,0 z`} />
              {/* a wider invisible target, so a tick is easy to click */}
              <rect className="hit" x={cx - 5} y={baseline + 18} width={10} height={22} />
              <title>{`${e.name}: ${formatScore(e.score)}${off ? ' (off the scale)' : ''}`}</title>
            </g>
          )
        })}
        {selectedEntry && (
          <line className="selected-line" x1={selectedEntry.score! > axis.hi ? MARGIN.left + plotWidth - 2 : x(selectedEntry.score!)} x2={selectedEntry.score! > axis.hi ? MARGIN.left + plotWidth - 2 : x(selectedEntry.score!)} y1={MARGIN.top - 4} y2={baseline + 20} />
        )}
        {axis.offScale > 0 && (
          <text className="tick" x={MARGIN.left + plotWidth} y={baseline + 49} textAnchor="end">
            {axis.offScale} off the scale →
          </text>
        )}
        {!histogram && (
          <text className="tick" x={MARGIN.left + plotWidth / 2} y={MARGIN.top + plotHeight / 2} textAnchor="middle">
            {calibration ? 'The calibration table could not be drawn.' : 'No calibration: imported scores only, higher = further from the training data.'}
          </text>
        )}
      </svg>
    </div>
  )
}
