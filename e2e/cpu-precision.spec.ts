import { test, expect, type Page } from '@playwright/test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, startServer } from './support/web-server'

/**
 * The CPU precision field (settings CPU_PRECISION) in browser mode: int8 chosen beside the
 * provider switches the engine at runtime, the result records it, the header says what is
 * active, and the choice is kept with the session: a reload shows it, and a restarted server
 * (a fresh engine, started fp32) gets it back from the saved session, and its int8 model from
 * the cache in the user-data folder (int8-cache/, src/engine/int8-cache.ts).
 */
const REAL_MODEL = existsSync(join(ROOT, 'models', 'fashion-mnist', 'manifest.json'))

async function generateOne(page: Page, expected: number): Promise<void> {
  await page.getByTestId('count').fill('1')
  await page.getByTestId('max-steps').fill('15')
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(expected)
}

/** "int8 (CPU)" on the CPU provider; a GPU provider ignores the setting and the field says so. Returns what results record. */
async function expectInt8Active(page: Page): Promise<'int8' | 'fp32'> {
  const engine = (await page.getByTestId('engine-state').textContent()) ?? ''
  const gpu = engine.match(/· (CUDA|DML|COREML|WEBGPU)/)?.[1]
  await expect(page.getByTestId('cpu-precision-active')).toHaveText(gpu ? `ignored on ${gpu}` : 'int8 (CPU)')
  return gpu ? 'fp32' : 'int8'
}

test('CPU precision: pick int8, generate, see it active and recorded; a reload and a server restart keep it', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'web', 'browser mode: the server restart is its own')
  // the quadratic test field has no matrix products to quantise: int8 would (rightly) run fp32
  test.skip(!REAL_MODEL, 'needs the shipped Fashion-MNIST model (models/fashion-mnist)')
  const userData = mkdtempSync(join(tmpdir(), 'eqm-e2e-precision-'))
  const first = await startServer([join(ROOT, 'models')], userData)
  let second: Awaited<ReturnType<typeof startServer>> | null = null
  try {
    await page.goto(first.url)
    await expect(page.getByTestId('engine-state')).toContainText('engine ready')
    const select = page.getByTestId('cpu-precision')
    await expect(select).toHaveValue('fp32')
    await expect(page.getByTestId('cpu-precision-active')).toHaveText('fp32')
    // the labels and tooltip are the setting's
    await expect(select.locator('option')).toHaveText(['fp32', 'int8 (faster)'])
    await expect(page.locator('label', { has: select })).toHaveAttribute('title', /GPU providers ignore it/)

    await select.selectOption('int8')
    await expect(select).toHaveValue('int8')
    const recorded = await expectInt8Active(page)
    await generateOne(page, 1)
    const item = page.getByTestId('gallery-item').first()
    await expect(item).toHaveAttribute('data-precision', recorded)
    if (recorded === 'int8') await expect(item).toHaveAttribute('title', /· int8/)
    // the server passes the user-data folder's int8 cache to its engine: the int8 model is kept there
    const cacheHits = () => {
      const index = join(userData, 'int8-cache', 'index.json')
      return existsSync(index) ? Object.values(JSON.parse(readFileSync(index, 'utf8')).entries as Record<string, { hits: number }>).map((e) => e.hits) : null
    }
    if (recorded === 'int8') expect(cacheHits()).toEqual([0])

    // kept with the session: the autosave has written it before the reload
    const session = join(userData, 'session.json')
    await expect.poll(() => existsSync(session) && readFileSync(session, 'utf8').includes('"cpuPrecisionPreference":"int8"'), { timeout: 10_000 }).toBe(true)
    await page.reload()
    await expect(page.getByTestId('engine-state')).toContainText('engine ready')
    await expect(select).toHaveValue('int8')
    await expectInt8Active(page)
    await expect(page.getByTestId('gallery-item').first()).toHaveAttribute('data-precision', recorded)

    // a fresh engine starts fp32: the saved choice is applied to it again
    await first.stop({ keepUserData: true })
    second = await startServer([join(ROOT, 'models')], userData)
    await page.goto(second.url)
    await expect(page.getByTestId('engine-state')).toContainText('engine ready')
    await expect(select).toHaveValue('int8')
    await expectInt8Active(page)
    await generateOne(page, 2)
    await expect(page.getByTestId('gallery-item').first()).toHaveAttribute('data-precision', recorded)
    // the fresh engine read the first one's int8 model rather than quantising it again
    if (recorded === 'int8') expect(cacheHits()).toEqual([1])

    // and back: fp32 results do not claim int8
    await select.selectOption('fp32')
    await expect(page.getByTestId('cpu-precision-active')).toHaveText('fp32')
    await generateOne(page, 3)
    await expect(page.getByTestId('gallery-item').first()).toHaveAttribute('data-precision', 'fp32')
  } finally {
    await first.stop({ keepUserData: true })
    if (second) await second.stop()
    else rmSync(userData, { recursive: true, force: true })
  }
})
