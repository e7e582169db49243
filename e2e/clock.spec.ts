import { test, expect, setNumber } from './support/fixtures'

/** The clock method (sampler-clock.ts): the field integrated like a flow in exactly Max steps steps. */
test('the clock method hides the descent-only settings, takes its guidance interval in time, and generates', async ({ studio: page }) => {
  await page.getByTestId('method').selectOption('clock')
  // no step size and no stop: the clock takes every one of its steps
  await expect(page.getByTestId('step-size')).toHaveCount(0)
  await expect(page.getByTestId('stop-grad-norm')).toHaveCount(0)
  await expect(page.getByTestId('far-until-rms')).toHaveCount(0)
  await expect(page.getByTestId('far-cfg')).toHaveCount(0)
  await setNumber(page, 'far-until-time', 0.4)
  await expect(page.getByTestId('far-cfg')).toBeVisible()
  await setNumber(page, 'max-steps', 6)
  await setNumber(page, 'count', 2)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(2, { timeout: 60_000 })
  // back to the descent: its settings return
  await page.getByTestId('method').selectOption('nag')
  await expect(page.getByTestId('step-size')).toBeVisible()
  await expect(page.getByTestId('stop-grad-norm')).toBeVisible()
})
