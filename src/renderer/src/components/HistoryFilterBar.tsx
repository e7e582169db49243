import { RESULT_TOOLS, type HistoryFilter, type ResultTool } from '../history/history-filter'
import { TOOL_NAMES } from '../store/studio-store'

/** The history's filters: the tool that made a result, a class it was conditioned on, and a parameter search. */
export function HistoryFilterBar({ filter, classes, onChange }: { filter: HistoryFilter; classes: readonly string[]; onChange: (filter: HistoryFilter) => void }) {
  return (
    <div className="history-filter">
      <select aria-label="Filter by tool" data-testid="gallery-filter-tool" value={filter.tool} onChange={(e) => onChange({ ...filter, tool: e.target.value as ResultTool | 'all' })}>
        <option value="all">All tools</option>
        {RESULT_TOOLS.map((tool) => (
          <option key={tool} value={tool}>
            {TOOL_NAMES[tool]}
          </option>
        ))}
      </select>
      <select
        aria-label="Filter by class"
        data-testid="gallery-filter-class"
        value={filter.classIndex ?? ''}
        onChange={(e) => onChange({ ...filter, classIndex: e.target.value === '' ? null : Number(e.target.value) })}
      >
        <option value="">All classes</option>
        {classes.map((name, i) => (
          <option key={name} value={i}>
            {name}
          </option>
        ))}
      </select>
      <input
        type="search"
        aria-label="Search by parameters"
        data-testid="gallery-search"
        placeholder="seed, weight, class…"
        title="Words that must all match: a seed or weight (17, -0.6), a class or model name, or seed:N, weight:W, class:NAME, model:ID"
        value={filter.query}
        onChange={(e) => onChange({ ...filter, query: e.target.value })}
      />
    </div>
  )
}
