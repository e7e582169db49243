import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import { hashModelFolders } from './src/engine/model-files'

// One Node build serves every non-renderer face of the app: the Electron main process,
// the engine's two hosts (utility process, plain child process), the browser-mode server,
// the CLI and the benchmarks. They share src/engine, so they share chunks.
export default defineConfig({
  main: {
    // The SHA-256 of every shipped model file, fixed into the bundled code (inside app.asar,
    // under its integrity check) so a packaged app refuses models edited after the build.
    define: { __EQM_SHIPPED_MODEL_HASHES__: JSON.stringify(hashModelFolders(resolve(__dirname, 'models'))) },
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          'engine-host': resolve(__dirname, 'src/engine/hosts/engine-host.ts'),
          'web-server': resolve(__dirname, 'src/web/server.ts'),
          cli: resolve(__dirname, 'src/cli/index.ts'),
          bench: resolve(__dirname, 'bench/bench.ts'),
          soak: resolve(__dirname, 'bench/soak.ts'),
          'bench-cpu': resolve(__dirname, 'bench/cpu.ts'),
          'bench-latent': resolve(__dirname, 'bench/latent-cpu.ts'),
          'ood-features': resolve(__dirname, 'bench/ood-features.ts')
        }
      }
    }
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } }
    },
    plugins: [react()]
  }
})
