import { test, expect, setNumber } from './support/fixtures'

/** Issue 8 finding 12 / issue 10 item 6: the Fit button's F shortcut exists, from the one shortcuts module. */
test('F fits the canvas after zooming, as the Fit button says', async ({ studio: page }) => {
  await setNumber(page, 'count', 1)
  await setNumber(page, 'max-steps', 10)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('gallery-item')).toHaveCount(1)
  const zoom = page.locator('.canvas-toolbar span.muted').last()
  await expect(zoom).not.toHaveText('100%')
  const fitted = await zoom.textContent()
  const box = (await page.getByTestId('canvas').boundingBox())!
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  await page.mouse.wheel(0, 400)
  await expect(zoom).not.toHaveText(fitted!)
  await expect(page.getByTestId('fit')).toHaveAttribute('title', 'Fit (F)')
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  await page.keyboard.press('f')
  await expect(zoom).toHaveText(fitted!)
})

test('? lists every shortcut from the shortcuts module; Esc closes the list, not the running job', async ({ studio: page }) => {
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  await page.keyboard.press('?')
  const help = page.getByTestId('shortcuts-help')
  await expect(help).toBeVisible()
  await expect(help).toContainText('Run the active tool')
  await expect(help).toContainText('Smaller brush (Repair)')
  const rows = await page.getByTestId('shortcut-row').count()
  expect(rows).toBeGreaterThanOrEqual(10)
  await page.keyboard.press('Escape')
  await expect(help).toHaveCount(0)

  // opened from the header while a job runs: Esc closes the list and the job goes on
  await setNumber(page, 'count', 64)
  await page.getByTestId('generate').click()
  await expect(page.getByTestId('progress')).toBeVisible()
  await page.getByTestId('shortcuts-open').click()
  await expect(help).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(help).toHaveCount(0)
  await expect(page.getByTestId('gallery-item')).toHaveCount(64, { timeout: 60_000 })
})
