import { test, expect, setNumber, useDescent } from './support/fixtures'

/** Issue 8, finding 8: the ETA comes from the descent (gradient-RMS trend vs the stop threshold), the bound beside it. */
test('while samples descend toward the stop threshold, the ETA estimated from the descent is shown beside the max-steps bound', async ({ studio: page }) => {
  await useDescent(page)
  await setNumber(page, 'count', 8)
  await setNumber(page, 'max-steps', 5000)
  // small steps: a descent slow enough to watch, still stopping at the threshold long before 5000 steps
  await setNumber(page, 'step-size', 0.004)
  await page.getByTestId('generate').click()
  const estimate = page.getByTestId('eta-estimate')
  await expect(estimate).toBeVisible({ timeout: 30_000 })
  // the first frames may show a sample whose RMS still rises (the estimate is then the bound, as
  // it should be); once every sample's trend falls, the estimate from the descent is below the bound
  await expect
    .poll(
      async () => {
        const text = (await page.getByTestId('progress-text').textContent())!
        const est = text.match(/~(<1|\d+) s left \(from the descent\)/)?.[1]
        const bound = text.match(/at most (<1|\d+) s/)?.[1]
        return est !== undefined && bound !== undefined && (est === '<1' ? 0 : Number(est)) < Number(bound)
      },
      { timeout: 20_000 }
    )
    .toBe(true)
  await page.getByTestId('cancel').click()
})
