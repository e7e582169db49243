import { test, expect, runAllSteps, setNumber } from './support/fixtures'

test('a crashed engine is restarted, the UI says so, the gallery survives and the next job runs', async ({ studio: page }) => {
  await setNumber(page, 'count', 2)
  await setNumber(page, 'max-steps', 20)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(2)

  // a long job, then the engine process dies under it
  await setNumber(page, 'count', 64)
  await runAllSteps(page, 5000)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('canvas')).not.toHaveAttribute('data-step', '')
  const pid = Number(await page.getByTestId('engine-state').getAttribute('data-pid'))
  expect(pid).toBeGreaterThan(0)
  process.kill(pid, 'SIGKILL')

  await expect(page.getByTestId('notice')).toContainText(/engine crashed .*killed.* and was restarted/)
  await expect(page.getByTestId('engine-state')).toContainText('engine ready')
  await expect(page.getByTestId('engine-state')).not.toHaveAttribute('data-pid', String(pid))
  await expect(page.getByTestId('progress')).toHaveCount(0)
  await expect(page.getByTestId('gallery-item')).toHaveCount(2)

  await setNumber(page, 'count', 1)
  await setNumber(page, 'max-steps', 10)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(3)
})
