#!/usr/bin/env node
// Screenshots of each workflow for docs/screenshots (README links them), taken in browser
// mode with Debian's Chromium at 1280x720 on the shipped model:
//   npm run build && node scripts/screenshots.mjs
import { chromium } from '@playwright/test'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { PNG } from 'pngjs'

const root = join(import.meta.dirname, '..')
const out = join(root, 'docs', 'screenshots')
mkdirSync(out, { recursive: true })
const work = mkdtempSync(join(tmpdir(), 'eqm-shots-'))

const server = spawn(process.execPath, [join(root, 'out/main/web-server.js'), '--port', '0', '--user-data', join(work, 'user-data')], { stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise((resolve, reject) => {
  let text = ''
  server.stdout.on('data', (chunk) => {
    text += chunk
    const match = text.match(/at (http\S+)/)
    if (match) resolve(match[1])
  })
  server.on('exit', (code) => reject(new Error(`web server exited with ${code}`)))
})

function fashionPng(index, file) {
  const data = gunzipSync(readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'))
  const png = new PNG({ width: 28, height: 28 })
  for (let i = 0; i < 784; i++) {
    const v = data[16 + index * 784 + i]
    png.data.set([v, v, v, 255], i * 4)
  }
  writeFileSync(file, PNG.sync.write(png))
  return file
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
await page.goto(url)
await page.getByTestId('class-select').waitFor()

// generate: live descent, then the result grid with its plot
await page.getByTestId('class-select').selectOption({ label: 'Sneaker' })
await page.getByTestId('count').fill('16')
await page.getByTestId('generate').click()
await page.waitForFunction(() => Number(document.querySelector('[data-testid=canvas]')?.getAttribute('data-step')) >= 8)
await page.screenshot({ path: join(out, 'generate-live.png') })
await page.getByTestId('progress').waitFor({ state: 'detached', timeout: 120_000 })
await page.waitForTimeout(400)
await page.screenshot({ path: join(out, 'generate.png') })

// repair: a test photo with a painted region, then the before/after comparison
await page.getByTestId('tool-repair').click()
await page.getByTestId('repair-import').setInputFiles(fashionPng(3, join(work, 'photo.png')))
const box = await page.getByTestId('repair-canvas').boundingBox()
await page.mouse.move(box.x + box.width * 0.42, box.y + box.height * 0.3)
await page.mouse.down()
await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.6, { steps: 10 })
await page.mouse.up()
await page.screenshot({ path: join(out, 'repair-mask.png') })
await page.getByTestId('repair-run').click()
await page.getByTestId('repair-result').waitFor({ timeout: 120_000 })
await page.screenshot({ path: join(out, 'repair.png') })

// compose: two classes, then the comparison with each class alone
await page.getByTestId('tool-compose').click()
await page.getByTestId('compose-class-0').selectOption({ label: 'Sneaker' })
await page.getByTestId('compose-class-1').selectOption({ label: 'Sandal' })
await page.getByTestId('compose-compare').click()
await page.waitForFunction(() => !document.querySelector('[data-testid=progress]') && document.querySelectorAll('[data-testid=gallery-item]').length >= 19, null, { timeout: 180_000 })
await page.waitForTimeout(400)
await page.screenshot({ path: join(out, 'compose.png') })

// OOD: a folder of real test images, digits-like strokes, noise and flat images
const folder = join(work, 'ood-folder')
mkdirSync(folder)
for (let i = 0; i < 6; i++) fashionPng(9000 + i, join(folder, `fashion-${i}.png`))
const flat = new PNG({ width: 28, height: 28 })
flat.data.fill(255)
writeFileSync(join(folder, 'white.png'), PNG.sync.write(flat))
const noise = new PNG({ width: 28, height: 28 })
for (let i = 0; i < 784; i++) {
  const v = Math.floor(Math.random() * 256)
  noise.data.set([v, v, v, 255], i * 4)
}
writeFileSync(join(folder, 'noise.png'), PNG.sync.write(noise))
await page.getByTestId('tool-ood').click()
await page.getByTestId('ood-folder').setInputFiles(folder)
await page.waitForFunction(() => document.querySelectorAll('[data-testid=ood-row][data-status=done]').length >= 8, null, { timeout: 120_000 })
await page.waitForTimeout(400)
await page.screenshot({ path: join(out, 'ood.png') })

await browser.close()
server.kill()
console.log(`screenshots in ${out}`)
