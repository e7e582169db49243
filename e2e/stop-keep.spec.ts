import { test, expect, runAllSteps, setNumber } from './support/fixtures'

/** Issue 8, finding 7: stop-and-keep beside cancel returns the partial samples as results, marked. */
test('Stop & keep ends a long descent and keeps every sample as it was, marked as stopped early', async ({ studio: page }) => {
  await setNumber(page, 'count', 4)
  await runAllSteps(page, 5000)
  await page.getByTestId('generate').click()
  const canvas = page.getByTestId('canvas')
  await expect.poll(async () => Number((await canvas.getAttribute('data-step')) || 0)).toBeGreaterThan(5)
  await page.getByTestId('stop-keep').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(4)
  for (const item of await page.getByTestId('gallery-item').all()) {
    await expect(item).toHaveAttribute('data-stopped', 'true')
    const steps = Number((await item.getAttribute('title'))!.match(/· (\d+) steps/)![1])
    expect(steps).toBeGreaterThan(5)
    expect(steps).toBeLessThan(5000)
  }
  await expect(page.getByTestId('notice')).toContainText('Stopped early: 4 images kept')
  await expect(canvas).toHaveAttribute('data-results', '4')
})
