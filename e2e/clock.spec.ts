import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './support/web-server'
import { test, expect, setNumber } from './support/fixtures'

const REAL_MODEL = existsSync(join(ROOT, 'models', 'fashion-mnist', 'manifest.json'))

/** The clock method (sampler-clock.ts): the field integrated like a flow in exactly Max steps steps. */
test('the clock method hides the descent-only settings, takes its guidance interval in time, and generates', async ({ studio: page }) => {
  await page.getByTestId('method').selectOption('clock')
  // no step size and no stop: the clock takes every one of its steps
  await expect(page.getByTestId('step-size')).toHaveCount(0)
  await expect(page.getByTestId('stop-grad-norm')).toHaveCount(0)
  await expect(page.getByTestId('far-until-rms')).toHaveCount(0)
  await setNumber(page, 'far-until-time', 0)
  await expect(page.getByTestId('far-cfg')).toHaveCount(0)
  await setNumber(page, 'far-until-time', 0.4)
  await expect(page.getByTestId('far-cfg')).toBeVisible()
  await setNumber(page, 'max-steps', 6)
  await setNumber(page, 'count', 2)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(2, { timeout: 60_000 })
  // no stop, so no dashed stop line on the plot
  await expect(page.getByTestId('descent-plot-legend')).not.toContainText('stop threshold')
  await expect(page.getByTestId('descent-plot-legend')).toHaveAttribute('title', /On the clock every sample takes every step/)
  // back to the descent: its settings return
  await page.getByTestId('method').selectOption('nag')
  await expect(page.getByTestId('step-size')).toBeVisible()
  await expect(page.getByTestId('stop-grad-norm')).toBeVisible()
})

test("the shipped model generates on the clock by default, and picking a method loads that method's benchmarked setting", async ({ studio: page }) => {
  test.skip(!REAL_MODEL, 'needs the shipped model (its manifest carries the presets)')
  const manifest = JSON.parse(readFileSync(join(ROOT, 'models', 'fashion-mnist', 'manifest.json'), 'utf8'))
  const clock = manifest.sampler
  const nag = { ...clock, ...manifest.samplerPresets.nag }
  expect(clock.method).toBe('clock')
  const value = (id: string) => page.getByTestId(id)
  await expect(value('method')).toHaveValue('clock')
  await expect(value('max-steps')).toHaveValue(String(clock.maxSteps))
  await expect(value('cfg')).toHaveValue(String(clock.cfg))
  await expect(value('far-until-time')).toHaveValue(String(clock.farUntilTime))
  await expect(value('far-cfg')).toHaveValue(String(clock.farCfg))
  await setNumber(page, 'max-steps', clock.maxSteps + 7)
  // NAG-GD: the descent's own setting, not the clock's steps and guidance
  await value('method').selectOption('nag')
  await expect(value('max-steps')).toHaveValue(String(nag.maxSteps))
  await expect(value('cfg')).toHaveValue(String(nag.cfg))
  await expect(value('step-size')).toHaveValue(String(nag.stepSize))
  await expect(value('far-until-rms')).toHaveValue(String(nag.farUntilRms))
  await expect(value('far-cfg')).toHaveValue(String(nag.farCfg))
  // and back: the model's default, not the edit made before the switch
  await value('method').selectOption('clock')
  await expect(value('max-steps')).toHaveValue(String(clock.maxSteps))
  await expect(value('far-cfg')).toHaveValue(String(clock.farCfg))
  // Repair keeps the descent it was benchmarked with
  const repair = { ...clock, ...manifest.studio.repair.sampler }
  await page.getByTestId('tool-repair').click()
  await expect(page.getByTestId('repair-sampler')).toContainText(`NAG-GD, ${repair.maxSteps} steps`)
  await page.getByTestId('repair-sampler').click()
  await expect(value('repair-method')).toHaveValue(repair.method)
  await expect(value('repair-max-steps')).toHaveValue(String(repair.maxSteps))
})
