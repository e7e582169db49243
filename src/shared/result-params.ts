import { z } from 'zod'
import { samplerSettingsSchema } from './manifest'

/**
 * The parameters of a result: the product's file format. The engine produces them when it
 * assembles a job's result; the PNG parameters chunk, the gallery, the session and "reload
 * parameters" read them back through this one schema. Fields are added as optional so files
 * written by earlier releases still parse.
 */
export const resultConditionSchema = z.object({
  classIndex: z.number().int().min(0),
  /** the class name when the result was made (a model may be renamed later) */
  className: z.string().optional(),
  weight: z.number()
})

export const resultParamsSchema = z.object({
  kind: z.enum(['generate', 'repair']),
  modelId: z.string(),
  conditions: z.array(resultConditionSchema),
  sampler: samplerSettingsSchema,
  /** this image's own seed (count 1), or the job's first seed (image i has seed + i) */
  seed: z.number().int().min(0),
  count: z.number().int().min(1).optional(),
  /** repair only: the noise strength painted, and whether unpainted pixels were held */
  strength: z.number().min(0).max(1).optional(),
  holdUnmasked: z.boolean().optional(),
  /** repair of a photo at its own size: the context square (photo pixels), its padding and the blend's feather */
  context: z.object({ x: z.number().int(), y: z.number().int(), width: z.number().int(), height: z.number().int(), padding: z.number().int(), feather: z.number().int() }).optional(),
  /** the execution provider the job ran on (results can differ in the last bits across providers) */
  provider: z.string().optional(),
  /** the gradient model ran with int8 weights (settings CPU_PRECISION; absent: fp32, as before the option existed) */
  precision: z.enum(['fp32', 'int8']).optional(),
  /** the job ran with row packing on (its rows may have shared model calls with other jobs': engine option packJobs) */
  rowPacking: z.boolean().optional()
})
export type ResultParams = z.infer<typeof resultParamsSchema>
export type ResultCondition = z.infer<typeof resultConditionSchema>

/** Parses parameters read from a file or the session; an error says which field is wrong. */
export function parseResultParams(raw: unknown): { ok: true; params: ResultParams } | { ok: false; error: string } {
  const parsed = resultParamsSchema.safeParse(raw)
  if (parsed.success) return { ok: true, params: parsed.data }
  const issue = parsed.error.issues[0]
  return { ok: false, error: `${issue?.path.join('.') || '(root)'}: ${issue?.message}` }
}
