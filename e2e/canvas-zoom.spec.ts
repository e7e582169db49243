import { test, expect, runAllSteps, setNumber } from './support/fixtures'

// Issue 8 item 12: the live preview and the results are drawn at one zoom (the canvas used to
// grow when the progress row went away at the end of a job, and refit: 500% became 600%).
test('the zoom of the live preview is kept when the results land', async ({ studio: page }) => {
  await setNumber(page, 'count', 4)
  await runAllSteps(page, 300)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('canvas')).not.toHaveAttribute('data-step', '')
  // the descent plot takes its place with the first frames; the zoom settles then
  await expect(page.getByTestId('descent-plot')).toBeVisible()
  await expect.poll(async () => Number(await page.getByTestId('canvas').getAttribute('data-step'))).toBeGreaterThan(3)
  const during = await page.getByTestId('canvas-zoom').first().textContent()
  await expect(page.getByTestId('gallery-item')).toHaveCount(4, { timeout: 60_000 })
  await expect(page.getByTestId('canvas')).toHaveAttribute('data-results', '4')
  await expect(page.getByTestId('canvas-zoom').first()).toHaveText(during ?? '')
})
