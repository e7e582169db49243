import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startWebServer } from '../../src/web/server'
import { ROOT } from './paths'

/**
 * The browser-mode server from source (under tsx), as its own process, for vitest: the same
 * startWebServer as `npm run web`, with the renderer folder given (tests build their own) and
 * the engine host forked from source.
 */
const { values } = parseArgs({
  options: {
    renderer: { type: 'string' },
    models: { type: 'string', multiple: true },
    'user-data': { type: 'string' },
    token: { type: 'string' },
    port: { type: 'string', default: '0' }
  }
})

startWebServer({
  port: Number(values.port),
  rendererDir: values.renderer!,
  modelRoots: values.models ?? [],
  userData: values['user-data']!,
  engineHost: join(ROOT, 'src/engine/hosts/engine-host.ts'),
  engineExecArgv: ['--import', 'tsx'],
  token: values.token
}).then(
  (server) => {
    console.log(`EqM Studio (browser mode) at ${server.url}`)
    process.on('SIGTERM', () => void server.close().then(() => process.exit(0)))
  },
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
