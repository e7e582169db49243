import { BrowserWindow, shell } from 'electron'
import { join } from 'node:path'
import { APP_ENTRY_URL, isAppUrl as isAppUrlFor } from './app-url'
import { isProjectLink } from './external-links'

/** The dev server's URL under `electron-vite dev`; null when the app serves its own files. */
export function devServerUrl(): string | null {
  return process.env.ELECTRON_RENDERER_URL ?? null
}

/** The built renderer's folder, served through the app protocol (and nothing outside it). */
export function rendererFolder(): string {
  return join(__dirname, '../renderer')
}

/** Whether a URL is the app's own page; the IPC guard and navigation checks trust exactly this. */
export function isAppUrl(url: string): boolean {
  return isAppUrlFor(url, devServerUrl())
}

/** The studio window: isolated, sandboxed, no Node, no navigation away, no new windows. */
export function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1280,
    minHeight: 720,
    backgroundColor: '#16181d',
    show: false,
    title: 'EqM Studio',
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false
    }
  })
  window.once('ready-to-show', () => window.show())
  window.webContents.setWindowOpenHandler(({ url }) => {
    // the project's own pages open in the user's browser; nothing opens inside the app
    if (isProjectLink(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  window.webContents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())
  void window.loadURL(devServerUrl() ?? APP_ENTRY_URL)
  return window
}
