import { test as base, expect } from '@playwright/test'
import { startServer } from './support/web-server'
import { canImport, importTinyImageNetModel } from '../test/support/latent-models'

/** ImageNet's 1000 class names in the studio: found by search in Generate and Compose. */
const test = base
test.skip(!canImport(), 'the importers need a Python with torch and onnx')

test('1000 classes: compose two classes found with the class search', async ({ page }) => {
  test.setTimeout(180_000)
  const { root, modelId } = importTinyImageNetModel()
  const server = await startServer([root])
  try {
    await page.goto(server.url)
    await expect(page.getByTestId('engine-state')).toContainText('engine ready')
    await page.getByTestId('model-select').selectOption(modelId)
    await page.getByTestId('class-select-search').fill('golden retr')
    await expect(page.getByTestId('class-select').locator('option:checked')).toHaveText('golden retriever')

    await page.getByTestId('tool-compose').click()
    await page.getByTestId('compose-class-0-search').fill('tabby')
    await page.getByTestId('compose-class-1-search').fill('volcano')
    await expect(page.getByTestId('compose-class-0').locator('option:checked')).toHaveText(/tabby/)
    await expect(page.getByTestId('compose-class-1').locator('option:checked')).toHaveText('volcano')
    await page.getByTestId('compose-run').click()
    await expect(page.getByTestId('gallery-item').first()).toBeVisible({ timeout: 90_000 })
    const title = await page.getByTestId('gallery-item').first().getAttribute('title')
    expect(title).toMatch(/tabby/)
    expect(title).toContain('volcano')
  } finally {
    await server.stop()
  }
})
