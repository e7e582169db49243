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
