import type { ComponentType } from 'react'
import type { StudioServices } from './store/context'
import type { ToolId } from './store/studio-store'
import { GeneratePanel } from './generate/GeneratePanel'
import { startGenerate } from './store/generate-actions'
import { RepairPanel } from './repair/RepairPanel'
import { RepairCanvas } from './repair/RepairCanvas'
import { runRepair } from './repair/repair-actions'
import { ComposePanel } from './compose/ComposePanel'
import { ComposeView } from './compose/ComposeView'
import { runCompose } from './compose/compose-actions'
import { OodPanel } from './ood/OodPanel'
import { OodView } from './ood/OodView'

/**
 * The studio's tools: each owns its parameter panel, optionally the main view (the canvas
 * by default) and what Ctrl+Enter does while it is active.
 */
export interface ToolDefinition {
  id: ToolId
  label: string
  Panel: ComponentType
  MainView?: ComponentType
  run?(services: StudioServices): void
}

export const TOOLS: ToolDefinition[] = [
  { id: 'generate', label: 'Generate', Panel: GeneratePanel, run: ({ store, client }) => void startGenerate(store, client) },
  { id: 'repair', label: 'Repair', Panel: RepairPanel, MainView: RepairCanvas, run: ({ store, client }) => void runRepair(store, client) },
  { id: 'compose', label: 'Compose', Panel: ComposePanel, MainView: ComposeView, run: ({ store, client }) => void runCompose(store, client) },
  { id: 'ood', label: 'OOD check', Panel: OodPanel, MainView: OodView }
]
