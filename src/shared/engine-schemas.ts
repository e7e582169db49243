import { z } from 'zod'
import { PROVIDER, type ProviderChoiceName } from './settings'
import { classifyParamsSchema, generateParamsSchema, jobIdSchema, oodParamsSchema, repairParamsSchema } from './jobs'
import type { EngineMethod, ParamsOf } from './engine-protocol'

const empty = z.object({}).strict()

/** Validation of every engine method's params; the type test checks each matches EngineMethods. */
export const engineParamSchemas = {
  'engine.info': empty,
  'engine.setProvider': z.object({ provider: z.enum(PROVIDER.choices.map((c) => c.value) as [ProviderChoiceName, ...ProviderChoiceName[]]) }).strict(),
  'models.list': empty,
  generate: generateParamsSchema.strict(),
  repair: repairParamsSchema.strict(),
  'ood.score': oodParamsSchema.strict(),
  'image.classify': classifyParamsSchema.strict(),
  cancel: z.object({ jobId: jobIdSchema }).strict(),
  'session.save': z.object({ data: z.unknown() }).strict(),
  'session.load': empty,
  'session.keepAside': z.object({ reason: z.enum(['partial', 'newer']) }).strict()
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
