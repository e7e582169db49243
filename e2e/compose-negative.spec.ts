import { test, expect } from './support/fixtures'

// Issue 8 item 12: a negative weight at high guidance narrows the samples (training/COMPOSE.md,
// "Variety with a negative weight"); Compose says so, and only then.
test('Compose says when a negative weight at high guidance makes the samples alike', async ({ studio: page }) => {
  await page.getByTestId('tool-compose').click()
  await expect(page.getByTestId('compose-row')).toHaveCount(2)
  const cfg = Number(await page.getByTestId('compose-cfg').inputValue())
  test.skip(cfg <= 1.5, `the model's composition guidance (${cfg}) is already low enough to keep variety`)
  await expect(page.getByTestId('compose-negative-hint')).toHaveCount(0)
  await page.getByTestId('compose-weight-1').fill('-0.6')
  await expect(page.getByTestId('compose-negative-hint')).toContainText('more alike')
  await page.getByTestId('compose-weight-1').fill('0.6')
  await expect(page.getByTestId('compose-negative-hint')).toHaveCount(0)
})
