import { app, BrowserWindow, dialog, ipcMain, MessageChannelMain, session, utilityProcess, type MessagePortMain } from 'electron'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EngineSupervisor, type EngineProcess } from '../engine/hosts/engine-supervisor'
import { registerHandlers } from './ipc-guard'
import { createMainWindow, devServerUrl, isAppUrl, rendererFolder } from './window'
import { registerAppScheme, serveApp } from './app-protocol'
import { hostConfigArg } from '../engine/hosts/host-config'
import { int8CacheDir } from '../engine/user-data'
import { buildHandlers } from './handlers'
import { CloseFlush } from './close-flush'
import type { EngineStatus } from '../shared/engine-status'
import type { MainToRenderer, MainToRendererChannel } from '../shared/process-messages'

/** main's one-way pushes to the window, typed by the MainToRenderer contract */
function sendToRenderer<C extends MainToRendererChannel>(channel: C, payload: MainToRenderer[C]): void {
  mainWindow?.webContents.send(channel, payload)
}

let mainWindow: BrowserWindow | null = null
const trustedWebContents = new Set<number>()
const closeFlush = new CloseFlush()
/** set by before-quit: a window close that waited for its save resumes the quit afterwards */
let quitting = false

// EQM_USER_DATA and EQM_MODELS point a run (an e2e test, a portable install) elsewhere.
if (process.env.EQM_USER_DATA) app.setPath('userData', process.env.EQM_USER_DATA)

function modelsRoot(): string {
  if (process.env.EQM_MODELS) return process.env.EQM_MODELS
  return app.isPackaged ? join(process.resourcesPath, 'models') : join(app.getAppPath(), 'models')
}

const supervisor = new EngineSupervisor<MessagePortMain>({
  fork: () =>
    utilityProcess.fork(join(__dirname, 'engine-host.js'), [
      hostConfigArg({
        modelRoots: [modelsRoot(), join(app.getPath('userData'), 'models')],
        sessionFile: join(app.getPath('userData'), 'session.json'),
        importRoot: join(app.getPath('userData'), 'models'),
        calibrationsDir: join(app.getPath('userData'), 'ood-calibrations'),
        int8CacheDir: int8CacheDir(app.getPath('userData'))
      })
    ], { serviceName: 'EqM engine', stdio: 'inherit' }) as unknown as EngineProcess,
  createChannel: () => {
    const { port1, port2 } = new MessageChannelMain()
    return { engineEnd: port1, windowEnd: port2 }
  },
  deliverToWindow: (port) => mainWindow?.webContents.postMessage('engine:port' satisfies MainToRendererChannel, null satisfies MainToRenderer['engine:port'], [port]),
  notify: (status: EngineStatus) => sendToRenderer('engine:status', status)
})

app.enableSandbox()
registerAppScheme()

app.whenReady().then(() => {
  // Nothing in the app needs a device, notification or other permission.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  serveApp(rendererFolder(), devServerUrl())
  registerHandlers(
    ipcMain,
    buildHandlers({
      supervisor,
      chooseImportSource: async (kind) => {
        if (!mainWindow) return { path: null }
        const choice =
          kind === 'model'
            ? await dialog.showOpenDialog(mainWindow, { title: 'Add an EqM checkpoint', properties: ['openFile'], filters: [{ name: 'EqM checkpoint', extensions: ['pt', 'pth', 'ckpt', 'bin', 'safetensors'] }] })
            : await dialog.showOpenDialog(mainWindow, { title: 'Add a VAE (diffusers AutoencoderKL folder)', properties: ['openDirectory'] })
        return { path: choice.canceled ? null : (choice.filePaths[0] ?? null) }
      },
      saveImage: async (suggestedName, bytes) => {
        if (!mainWindow) return { saved: false }
        const choice = await dialog.showSaveDialog(mainWindow, { defaultPath: suggestedName, filters: [{ name: 'PNG image', extensions: ['png'] }] })
        if (choice.canceled || !choice.filePath) return { saved: false }
        await writeFile(choice.filePath, bytes)
        return { saved: true, path: choice.filePath }
      },
      appInfo: () => ({ version: app.getVersion(), mode: 'desktop', platform: process.platform, userData: app.getPath('userData') }),
      closeFlush
    }),
    { webContentsIds: trustedWebContents, url: isAppUrl }
  )
  openWindow()
  supervisor.start()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow()
  })
})

function openWindow(): void {
  const window = createMainWindow()
  mainWindow = window
  const id = window.webContents.id
  trustedWebContents.add(id)
  // Closing (the window's button, or a quit, which closes every window first) waits for the
  // page to save what autosave still holds back; the engine stops only after that (will-quit).
  let saved = false
  window.on('close', (event) => {
    if (saved || window.webContents.isCrashed()) return
    event.preventDefault()
    if (closeFlush.pending) return
    void closeFlush
      .request((request) => sendToRenderer('app:flush-before-close', { request }))
      .then((outcome) => {
        if (outcome === 'timed-out') console.warn('EqM Studio: the window did not confirm its last save in time; closing anyway')
        saved = true
        if (!window.isDestroyed()) window.close()
        if (quitting) app.quit()
      })
  })
  window.on('closed', () => {
    trustedWebContents.delete(id)
    mainWindow = null
  })
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

app.on('before-quit', () => {
  quitting = true
})
// after every window has closed, and so saved: only now may the engine go
app.on('will-quit', () => supervisor.stop())
