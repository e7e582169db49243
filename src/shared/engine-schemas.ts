import { z } from 'zod'
import { modelIdSchema } from './manifest'
import { photoRepairParamsSchema } from './photo-repair'
import { CALIBRATABLE_OOD_SCORES, CPU_PRECISION, PROVIDER, type CalibratableOodScore, type CpuPrecision, type ProviderChoiceName } from './settings'
import { classifyParamsSchema, generateParamsSchema, jobIdSchema, oodParamsSchema, repairParamsSchema } from './jobs'
import { BLOB_REF_PATTERN, type EngineMethod, type ParamsOf } from './engine-protocol'

const empty = z.object({}).strict()
const blobRefSchema = z.string().regex(BLOB_REF_PATTERN, 'an image-store name (sha256 hex, then .png or .raw)')
const historyEntrySchema = z.object({ id: z.string().min(1).max(200), image: blobRefSchema }).catchall(z.unknown())
const historyOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add'), entry: historyEntrySchema }).strict(),
  z.object({ op: z.literal('remove'), ids: z.array(z.string()).max(20_000) }).strict()
])

/** Validation of every engine method's params; the type test checks each matches EngineMethods. */
export const engineParamSchemas = {
  'engine.info': empty,
  'engine.setProvider': z.object({ provider: z.enum(PROVIDER.choices.map((c) => c.value) as [ProviderChoiceName, ...ProviderChoiceName[]]) }).strict(),
  'engine.setCpuPrecision': z.object({ precision: z.enum(CPU_PRECISION.choices.map((c) => c.value) as [CpuPrecision, ...CpuPrecision[]]) }).strict(),
  'models.list': empty,
  generate: generateParamsSchema.strict(),
  repair: repairParamsSchema.strict(),
  'repair.photo': photoRepairParamsSchema.strict(),
  'ood.score': oodParamsSchema.strict(),
  // score: fit the user's calibration for this score instead of the model's own kind
  'ood.calibrate': oodParamsSchema.extend({ source: z.string().min(1).max(512), score: z.enum(CALIBRATABLE_OOD_SCORES as [CalibratableOodScore, ...CalibratableOodScore[]]).optional() }).strict(),
  'ood.resetCalibration': z.object({ modelId: z.string().optional() }).strict(),
  'image.classify': classifyParamsSchema.strict(),
  cancel: z.object({ jobId: jobIdSchema }).strict(),
  'models.import': z
    .object({
      kind: z.enum(['model', 'vae']),
      source: z.string().min(1).max(4096),
      id: modelIdSchema.optional(),
      vae: modelIdSchema.optional(),
      title: z.string().min(1).max(200).optional(),
      heads: z.number().int().min(1).max(1024).optional(),
      ebm: z.enum(['none', 'l2', 'dot', 'mean']).optional()
    })
    .strict(),
  stop: z.object({ jobId: jobIdSchema }).strict(),
  'session.save': z.object({ data: z.unknown() }).strict(),
  'session.load': empty,
  'session.keepAside': z.object({ reason: z.enum(['partial', 'newer', 'migrated']) }).strict(),
  'history.append': z.object({ ops: z.array(historyOpSchema).max(20_000) }).strict(),
  'store.put': z.object({ blobs: z.array(z.object({ data: z.string().max(96 * 1024 * 1024), type: z.enum(['png', 'raw']) }).strict()).max(10_000) }).strict(),
  'store.get': z.object({ ref: blobRefSchema }).strict()
} satisfies Record<EngineMethod, z.ZodType>

export type ParsedParams<M extends EngineMethod> = z.output<(typeof engineParamSchemas)[M]>

/** Compile-time: what a client may send is exactly what each schema accepts. */
export type SchemaMatchesContract = {
  [M in EngineMethod]: z.input<(typeof engineParamSchemas)[M]> extends ParamsOf<M>
    ? ParamsOf<M> extends z.input<(typeof engineParamSchemas)[M]>
      ? true
      : false
    : false
}
