import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { ProviderName } from '../shared/engine-protocol'

/** What the precheck may look at: injected so tests can describe any machine. */
export interface MachineFacts {
  platform: NodeJS.Platform
  exists(path: string): boolean
  list(path: string): string[]
  /** onnxruntime-node's folder of native libraries for this platform */
  ortBinaries: string | null
}

export function thisMachine(): MachineFacts {
  let ortBinaries: string | null = null
  try {
    const root = dirname(require.resolve('onnxruntime-node/package.json'))
    ortBinaries = join(root, 'bin', 'napi-v6', process.platform, process.arch)
  } catch {
    ortBinaries = null
  }
  return {
    platform: process.platform,
    exists: existsSync,
    list: (path) => {
      try {
        return readdirSync(path)
      } catch {
        return []
      }
    },
    ortBinaries
  }
}

/**
 * Why a provider cannot work on this machine, found without loading it (null: worth a try).
 * Loading a GPU provider on a machine without the GPU costs seconds and floods stderr from
 * native code, so the obvious cases are ruled out first, with a reason a user can act on.
 */
export function precheckProvider(name: ProviderName, machine: MachineFacts): string | null {
  switch (name) {
    case 'cpu':
      return null
    case 'dml':
      return machine.platform === 'win32' ? null : 'DirectML runs on Windows only'
    case 'coreml':
      return machine.platform === 'darwin' ? null : 'CoreML runs on macOS only'
    case 'cuda': {
      if (machine.platform !== 'linux' && machine.platform !== 'win32') return 'CUDA runs on Linux and Windows only'
      const library = machine.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'
      if (!machine.ortBinaries || !machine.exists(join(machine.ortBinaries, library))) {
        return 'the CUDA provider is not installed (with CUDA 12 and cuDNN on Linux: npm run cuda:install)'
      }
      if (machine.platform === 'linux' && !machine.exists('/dev/nvidiactl')) return 'no NVIDIA GPU driver found (/dev/nvidiactl)'
      return null
    }
    case 'webgpu': {
      if (machine.platform !== 'linux') return null
      const gpu = machine.list('/dev/dri').some((entry) => entry.startsWith('renderD')) || machine.exists('/dev/nvidiactl')
      return gpu ? null : 'no GPU device found (/dev/dri render nodes or /dev/nvidiactl)'
    }
  }
}
