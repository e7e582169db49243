import { useEffect, useState } from 'react'
import type { EngineClient } from '../host/engine-client'
import type { ModelInfo } from '../../../shared/engine-protocol'
import type { ClassifyResult, OodResult } from '../../../shared/jobs'
import { REPAIR } from '../../../shared/settings'
import type { RepairPhoto } from './repair-history'
import { checkPhoto, suggestRepairClass } from './repair-actions'

export interface PhotoReading {
  /** the class to suggest: only when the classifier is sure and the photo looks like the model's data */
  suggestion: ClassifyResult | null
  /** the classifier's reading even when it is not suggested (shown as "unsure") */
  classified: ClassifyResult | null
  /** the model's OOD check of the photo (null: no calibration or not checked) */
  ood: OodResult | null
}

/**
 * What the studio can tell about the current photo: the OOD check (is it like the model's
 * data at all?) and the classifier's reading. Recomputed when the photo or model changes;
 * a reading of an earlier photo is never shown for this one.
 */
export function usePhotoReading(client: EngineClient, model: ModelInfo | null, photo: RepairPhoto | null): PhotoReading {
  const [reading, setReading] = useState<{ photo: RepairPhoto; classified: ClassifyResult | null; ood: OodResult | null } | null>(null)
  useEffect(() => {
    if (!model || !photo) return
    let current = true
    void Promise.all([suggestRepairClass(client, model, photo), checkPhoto(client, model, photo)]).then(([classified, ood]) => {
      if (current) setReading({ photo, classified, ood })
    })
    return () => {
      current = false
    }
  }, [client, model, photo])
  if (!reading || reading.photo !== photo) return { suggestion: null, classified: null, ood: null }
  const { classified, ood } = reading
  const sure = classified !== null && classified.probability >= REPAIR.suggestMinProbability.default && ood?.flagged !== true
  return { suggestion: sure ? classified : null, classified, ood }
}
