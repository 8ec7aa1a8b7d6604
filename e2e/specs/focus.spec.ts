import type { Page } from '@playwright/test';
import { test, expect } from '../fixtures/app.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

/** What has the keyboard focus: never <body> after one of the moments that used to drop it. */
const focused = (page: Page) => page.evaluate(() => {
  const active = document.activeElement;
  return active === document.body || active === null ? 'body' : (active.getAttribute('data-testid') ?? active.getAttribute('aria-label') ?? active.textContent?.trim().slice(0, 40) ?? active.tagName);
});

test('keyboard focus stays somewhere useful: after a file loads, after Escape in a dialog, after a job ends', async ({ app }) => {
  const { page } = app;
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  // Picked with the drop target's file input, which goes away once the file is loaded.
  const input = page.getByTestId('file-input');
  await input.focus();
  // 40,000 B end inside page 312, in the board's old 48 KiB application: flashing asks first.
  await input.setInputFiles({ name: 'firmware.hex', mimeType: 'text/plain', buffer: Buffer.from(hexText(firmwareImage(40_000))) });
  await expect(page.locator('.image-name')).toBeFocused();

  // Escape in the data-loss question: back to the Flash button that asked it.
  await page.getByTestId('flash-button').focus();
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('dialog', { name: 'Flash and lose data?' });
  await expect(confirm).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(page.getByTestId('flash-button')).toBeFocused();

  // A job: the progress takes the focus while the button is disabled, the result when it ends.
  await page.keyboard.press('Enter');
  await confirm.getByRole('button', { name: 'Flash anyway' }).click();
  await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');
  expect(await focused(page)).not.toBe('body');
});
