import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { useStudio } from '../store/context'
import type { Descent } from '../store/studio-store'
import { compactNumber, logAxisTick } from './plot-ticks'

const NO_HISTORY: Descent['gradHistory'] = []

/** The legend's tooltip: how to read the plot, and what to change when it looks wrong. */
const PLOT_LEGEND =
  'Each coloured line is one sample: how steep the energy landscape is under it (RMS of the guided gradient, log scale) at each step. ' +
  'Lines fall as samples descend toward an energy minimum; a sample stops when its line crosses the dashed stop threshold. ' +
  'Lines that level off above the threshold until max steps: raise the step size or max steps, or the threshold. ' +
  'Lines that jump up and down: lower the step size or the look-ahead μ. The white line (EqM-E models) is the mean energy, which should fall.'
/** The legend's tooltip for a clock job: the same lines, read differently (docs/method.md §3). */
const CLOCK_LEGEND =
  'Each coloured line is one sample: the RMS of the guided gradient under it at each step (log scale). ' +
  'On the clock every sample takes every step: the RMS stays near its level far from equilibrium while the noise is high and falls in the last steps, ' +
  'as the training schedule c(t) does. There is no stop threshold. The white line (EqM-E models) is the mean energy, which should fall.'
/**
 * Until a job's last frame, a model's energy is shown as its fall since the start (the one exact
 * energy pass comes with the last frame, which puts the whole line on the exact scale).
 */
function energyCaption(history: Descent['gradHistory']): string {
  const latest = [...history].reverse().find((h) => h.energies)
  return latest?.energyKind === 'change' ? ' · white, right axis: mean energy change since the start (exact values at the end)' : ' · white, right axis: mean energy E'
}
const COLORS = ['#5b9dff', '#ff8a65', '#81c784', '#ffd54f', '#ba68c8', '#4dd0e1', '#f06292', '#aed581']

/**
 * Each sample's gradient RMS against step, on a log scale: the landscape being descended.
 * With an explicit-energy model, the mean energy of the samples is drawn too (right axis).
 * A sample's line goes flat where it reached equilibrium (its stop threshold) and left the batch.
 */
export function DescentPlot() {
  const tool = useStudio((s) => s.tool)
  const live = useStudio((s) => s.job)
  const last = useStudio((s) => s.lastDescent)
  // only this tool's descent: another tool's curves would describe a different image
  const descent = live && live.tool === tool ? live : last && last.tool === tool ? last : null
  const history = descent?.gradHistory ?? NO_HISTORY
  const stop = descent?.stopGradNorm ?? 0
  const container = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const seriesCount = history[0]?.norms.length ?? 0
  const hasEnergy = history.some((h) => h.energies)

  useEffect(() => {
    const element = container.current
    if (!element || seriesCount === 0) return
    const shown = Math.min(seriesCount, 16)
    const options: uPlot.Options = {
      width: element.clientWidth,
      height: 120,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false }, y: { distr: 3 }, E: {} },
      axes: [
        // steps are whole numbers: no 1.5 ticks early in a job
        { stroke: '#7d8590', grid: { stroke: '#2a2f38' }, ticks: { stroke: '#2a2f38' }, size: 24, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000] },
        { stroke: '#7d8590', grid: { stroke: '#2a2f38' }, ticks: { stroke: '#2a2f38' }, size: 44, values: (_u, values) => values.map(logAxisTick) }
      ],
      series: [
        {},
        ...Array.from({ length: shown }, (_, i) => ({ stroke: COLORS[i % COLORS.length], width: 1.25, points: { show: false } })),
        { stroke: '#ff6b6b', dash: [4, 4], width: 1, points: { show: false } },
        { scale: 'E', stroke: '#e6e8eb', width: 2.5, points: { show: false }, spanGaps: true }
      ]
    }
    if (hasEnergy) options.axes!.push({ scale: 'E', side: 1, stroke: '#e6e8eb', grid: { show: false }, size: 48, values: (_u, values) => values.map(compactNumber) })
    plot.current = new uPlot(options, [[], ...Array.from({ length: shown + 2 }, () => [])], element)
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: element.clientWidth, height: 120 }))
    resize.observe(element)
    return () => {
      resize.disconnect()
      plot.current?.destroy()
      plot.current = null
    }
  }, [seriesCount, hasEnergy])

  useEffect(() => {
    if (!plot.current || history.length === 0) return
    const shown = plot.current.series.length - 3
    const steps = history.map((h) => h.step)
    // a sample that reached its threshold keeps its last norm: its line goes flat there
    const series = Array.from({ length: shown }, (_, s) => history.map((h) => (h.norms[s] > 0 ? h.norms[s] : null)))
    const meanEnergy = history.map((h) => (h.energies ? h.energies.reduce((a, b) => a + b, 0) / h.energies.length : null))
    plot.current.setData([steps, ...series, steps.map(() => (stop > 0 ? stop : null)), meanEnergy] as uPlot.AlignedData)
  }, [history, stop])

  if (seriesCount === 0) return null
  return (
    <div className="descent-plot" data-testid="descent-plot" data-points={history.length}>
      <span className="muted small" title={descent?.onClock ? CLOCK_LEGEND : PLOT_LEGEND} data-testid="descent-plot-legend">
        gradient RMS per sample (log){stop > 0 ? ' · dashed: stop threshold' : ''}{hasEnergy ? energyCaption(history) : ''}
      </span>
      <div ref={container} />
    </div>
  )
}
