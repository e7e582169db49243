import { useEffect, useState } from 'react'
import type { EngineClient } from '../host/engine-client'
import type { ModelInfo } from '../../../shared/engine-protocol'
import type { ClassifyResult } from '../../../shared/jobs'
import type { RepairPhoto } from './repair-history'
import { suggestRepairClass } from './repair-actions'

/** The classifier's reading of the current photo; recomputed when the photo or model changes. */
export function useClassSuggestion(client: EngineClient, model: ModelInfo | null, photo: RepairPhoto | null): ClassifyResult | null {
  const [suggestion, setSuggestion] = useState<{ photo: RepairPhoto; result: ClassifyResult } | null>(null)
  useEffect(() => {
    if (!model || !photo) return
    let current = true
    void suggestRepairClass(client, model, photo).then((result) => {
      if (current && result) setSuggestion({ photo, result })
    })
    return () => {
      current = false
    }
  }, [client, model, photo])
  // a reading of an earlier photo is never shown for this one
  return suggestion && suggestion.photo === photo ? suggestion.result : null
}
