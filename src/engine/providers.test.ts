import { describe, expect, it } from 'vitest'
import { chooseProvider } from './providers'
import { precheckProvider, type MachineFacts } from './provider-precheck'

const linuxNoGpu: MachineFacts = { platform: 'linux', exists: () => false, list: () => [], ortBinaries: '/ort/bin' }
const linuxNvidia: MachineFacts = {
  platform: 'linux',
  exists: (p) => p === '/dev/nvidiactl' || p === '/ort/bin/libonnxruntime_providers_cuda.so',
  list: (p) => (p === '/dev/dri' ? ['card0', 'renderD128'] : []),
  ortBinaries: '/ort/bin'
}

describe('execution providers', () => {
  it('rules out what cannot work here without loading it, with a reason to act on', () => {
    expect(precheckProvider('dml', linuxNoGpu)).toMatch(/Windows only/)
    expect(precheckProvider('coreml', linuxNoGpu)).toMatch(/macOS only/)
    expect(precheckProvider('cuda', linuxNoGpu)).toMatch(/npm run cuda:install/)
    expect(precheckProvider('webgpu', linuxNoGpu)).toMatch(/no GPU device/)
    expect(precheckProvider('cpu', linuxNoGpu)).toBeNull()
    expect(precheckProvider('cuda', linuxNvidia)).toBeNull()
    expect(precheckProvider('webgpu', linuxNvidia)).toBeNull()
    expect(precheckProvider('webgpu', { ...linuxNoGpu, platform: 'darwin' })).toBeNull()
  })

  it('takes the first provider whose trial works, and keeps why the others are off', async () => {
    const tried: string[] = []
    const choice = await chooseProvider(
      'auto',
      async (p) => {
        tried.push(p)
        if (p === 'cuda') throw new Error('/onnxruntime_src/x.cc:12 something was false. CUDA failure 100: no CUDA-capable device')
      },
      linuxNvidia
    )
    expect(tried).toEqual(['cuda', 'webgpu'])
    expect(choice.active).toBe('webgpu')
    expect(choice.statuses.find((s) => s.name === 'cuda')!.reason).toBe('CUDA failure 100: no CUDA-capable device')
    expect(choice.statuses.find((s) => s.name === 'cpu')!.reason).toMatch(/not tried: webgpu is in use/)
  })

  it('a forced provider that fails falls back to CPU and says it was requested', async () => {
    const choice = await chooseProvider('webgpu', async (p) => {
      if (p !== 'cpu') throw new Error('Failed to get a WebGPU adapter')
    }, linuxNvidia)
    expect(choice.active).toBe('cpu')
    expect(choice.statuses.find((s) => s.name === 'webgpu')!.reason).toBe('requested but failed: Failed to get a WebGPU adapter')
  })
})
