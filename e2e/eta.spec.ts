import { test, expect, setNumber } from './support/fixtures'

/** Issue 8, finding 8: the ETA comes from the descent (gradient-RMS trend vs the stop threshold), the bound beside it. */
test('while samples descend toward the stop threshold, the ETA estimated from the descent is shown beside the max-steps bound', async ({ studio: page }) => {
  await setNumber(page, 'count', 8)
  await setNumber(page, 'max-steps', 5000)
  // small steps: a descent slow enough to watch, still stopping at the threshold long before 5000 steps
  await setNumber(page, 'step-size', 0.004)
  await page.getByTestId('generate').click()
  const estimate = page.getByTestId('eta-estimate')
  await expect(estimate).toBeVisible({ timeout: 30_000 })
  const text = (await page.getByTestId('progress-text').textContent())!
  const [, est] = text.match(/~(<1|\d+) s left \(from the descent\)/)!
  const [, bound] = text.match(/at most (<1|\d+) s/)!
  expect(est === '<1' ? 0 : Number(est)).toBeLessThan(Number(bound))
  await page.getByTestId('cancel').click()
})
