import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { test, expect, setNumber, isDesktop } from './support/fixtures'

/** Issue 8, finding 9: a dropped EqM PNG restores its parameters, negative weights included; one condition format. */

async function dropFile(page: Page, testId: string, file: string, name: string): Promise<void> {
  const bytes = [...readFileSync(file)]
  await page.getByTestId(testId).evaluate(
    (element, [data, fileName]) => {
      const transfer = new DataTransfer()
      transfer.items.add(new File([new Uint8Array(data as number[])], fileName as string, { type: 'image/png' }))
      element.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }))
      element.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }))
    },
    [bytes, name] as const
  )
}

test('a composition with a negative weight: its title, its file name, and a drop that brings it back', async ({ studio: page }, testInfo) => {
  test.skip(isDesktop(testInfo.project.name), 'export uses the native save dialog in the desktop app')
  await page.getByTestId('tool-compose').click()
  await page.getByTestId('compose-class-0').selectOption({ index: 9 })
  await page.getByTestId('compose-class-1').selectOption({ index: 7 })
  const names = [await page.getByTestId('compose-class-0').locator('option:checked').textContent(), await page.getByTestId('compose-class-1').locator('option:checked').textContent()]
  await page.getByTestId('compose-weight-0').fill('1')
  await page.getByTestId('compose-weight-1').fill('-0.6')
  await setNumber(page, 'compose-count', 1)
  await page.getByTestId('compose-run').click()
  const item = page.getByTestId('gallery-item').first()
  await expect(item).toBeVisible({ timeout: 60_000 })
  const formula = `${names[0]} ×1 − ${names[1]} ×0.6`
  await expect(page.getByTestId('compose-formula')).toHaveText(formula)
  expect((await item.getAttribute('title'))!.split(' · ')[0]).toBe(formula)

  const download = page.waitForEvent('download')
  await item.getByTestId('export-png').click()
  const saved = await download
  expect(saved.suggestedFilename()).toMatch(/-x1-minus-.*-x0\.6-\d+\.png$/)
  const file = join(mkdtempSync(join(tmpdir(), 'eqm-drop-')), saved.suggestedFilename())
  await saved.saveAs(file)

  // elsewhere, other settings: the drop brings the composition back
  await page.getByTestId('compose-weight-1').fill('0.8')
  await page.getByTestId('tool-generate').click()
  await dropFile(page, 'canvas', file, saved.suggestedFilename())
  await expect(page.getByTestId('compose-panel')).toBeVisible()
  await expect(page.getByTestId('compose-weight-1')).toHaveValue('-0.6')
  await expect(page.getByTestId('compose-weight-0')).toHaveValue('1')
  await expect(page.getByTestId('compose-formula')).toHaveText(formula)
  await expect(page.getByTestId('gallery-item')).toHaveCount(2)
  expect((await page.getByTestId('gallery-item').first().getAttribute('title'))!.split(' · ')[0]).toBe(formula)
})
