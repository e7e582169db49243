import { describe, expect, it } from 'vitest'
import type { EngineInfo } from '../../../shared/engine-protocol'
import { describeCpuPrecision } from './CpuPrecisionSelect'

const info = (active: EngineInfo['active'], cpuPrecision: EngineInfo['cpuPrecision']): EngineInfo => ({ version: 'x', active, requested: 'auto', providers: [], cpuPrecision })

describe('what the CPU precision field says is active', () => {
  it('int8 on the CPU, fp32, ignored on a GPU provider, not quantised, not loaded yet', () => {
    expect(describeCpuPrecision(info('cpu', { requested: 'int8', loaded: [{ modelId: 'm', precision: 'int8' }] }), 'm').text).toBe('int8 (CPU)')
    expect(describeCpuPrecision(info('cpu', { requested: 'fp32', loaded: [{ modelId: 'm', precision: 'fp32' }] }), 'm').text).toBe('fp32')
    const onCuda = describeCpuPrecision(info('cuda', { requested: 'int8', loaded: [{ modelId: 'm', precision: 'fp32', reason: 'CUDA runs the model as exported' }] }), 'm')
    expect(onCuda).toEqual({ text: 'ignored on CUDA', why: 'CUDA runs the model as exported' })
    // before a model loads, the same words the engine gives for a loaded one (settings cpuPrecisionIgnoredOn)
    expect(describeCpuPrecision(info('webgpu', { requested: 'int8', loaded: [] }), 'm')).toEqual({ text: 'ignored on WEBGPU', why: 'WEBGPU runs the model as exported: CPU precision applies to the CPU provider only' })
    expect(describeCpuPrecision(info('cpu', { requested: 'int8', loaded: [{ modelId: 'q', precision: 'fp32', reason: 'q: no MatMul or Gemm' }] }), 'q')).toEqual({ text: 'fp32: not quantised', why: 'q: no MatMul or Gemm' })
    // another model's entry says nothing about this one
    expect(describeCpuPrecision(info('cpu', { requested: 'int8', loaded: [{ modelId: 'q', precision: 'fp32', reason: 'no' }] }), 'm').text).toBe('int8 from the next job')
  })
})
