import { describe, expectTypeOf, it, expect } from 'vitest'
import type { SchemaMatchesContract } from '../src/shared/engine-schemas'
import { engineParamSchemas } from '../src/shared/engine-schemas'
import type { EngineMethod } from '../src/shared/engine-protocol'
import type { IpcChannelListMatches, IpcSchemasCoverContract, IpcSchemasMatchContract } from '../src/shared/ipc-contract'
import { IPC_INVOKE_CHANNELS } from '../src/shared/ipc-channels'
import { ipcInvokeSchemas } from '../src/shared/ipc-contract'

// These are checked by `tsc` (npm test runs it first): a channel or method whose schema and
// declared params drift apart makes the type below `false`, and the assignment fails to compile.
type AllTrue<T> = T[keyof T] extends true ? true : false

describe('typed contracts', () => {
  it('engine: every method has a schema that accepts exactly its declared params', () => {
    expectTypeOf<AllTrue<SchemaMatchesContract>>().toEqualTypeOf<true>()
    const methods: Record<EngineMethod, true> = {
      'engine.info': true,
      'engine.setProvider': true,
      'engine.setCpuPrecision': true,
      'models.list': true,
      generate: true,
      repair: true,
      'ood.score': true,
      'repair.photo': true,
      'ood.calibrate': true,
      'ood.resetCalibration': true,
      'image.classify': true,
      cancel: true,
      stop: true,
      'models.import': true,
      'session.save': true,
      'session.load': true,
      'session.keepAside': true,
      'history.append': true,
      'store.put': true,
      'store.get': true
    }
    expect(Object.keys(engineParamSchemas).sort()).toEqual(Object.keys(methods).sort())
  })

  it('ipc: schemas, contract and the preload channel list agree', () => {
    expectTypeOf<AllTrue<IpcSchemasMatchContract>>().toEqualTypeOf<true>()
    expectTypeOf<IpcSchemasCoverContract>().toEqualTypeOf<true>()
    expectTypeOf<IpcChannelListMatches>().toEqualTypeOf<true>()
    expect([...IPC_INVOKE_CHANNELS].sort()).toEqual(Object.keys(ipcInvokeSchemas).sort())
  })
})
