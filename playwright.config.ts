import { defineConfig } from '@playwright/test'

/**
 * e2e runs against Debian's Chromium (never a downloaded browser): the browser mode always,
 * the Electron app where an Electron binary exists (see e2e/electron.spec.ts).
 */
export default defineConfig({
  testDir: 'e2e',
  timeout: 90_000,
  expect: { timeout: 20_000 },
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 720 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-dev-shm-usage']
    },
    trace: 'retain-on-failure'
  },
  projects: [
    // browser mode in Debian's Chromium: always
    { name: 'web', testIgnore: /electron\.spec\.ts/ },
    // the same studio specs in the Electron app; each skips with its reason where no binary exists
    { name: 'desktop', testIgnore: /web-security\.spec\.ts|desktop-csp\.spec\.ts/ }
  ]
})
