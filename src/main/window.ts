import { BrowserWindow, shell } from 'electron'
import { join } from 'node:path'

/** Where the renderer is loaded from; the IPC guard trusts exactly this. */
export function rendererLocation(): { url: string | null; file: string } {
  return { url: process.env.ELECTRON_RENDERER_URL ?? null, file: join(__dirname, '../renderer/index.html') }
}

export function isAppUrl(url: string): boolean {
  const { url: devUrl, file } = rendererLocation()
  if (devUrl) return url.startsWith(devUrl)
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'file:' && decodeURIComponent(parsed.pathname).endsWith(file.replace(/\\/g, '/').replace(/^[A-Za-z]:/, ''))
  } catch {
    return false
  }
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
    // links to docs open in the user's browser; nothing opens inside the app
    if (/^https:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())
  const { url, file } = rendererLocation()
  if (url) void window.loadURL(url)
  else void window.loadFile(file)
  return window
}
