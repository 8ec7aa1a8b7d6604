import type { FileChooser } from '@playwright/test';
import { test, expect } from '../fixtures/app.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

test('in a plain browser, "Open file…" opens the page\'s own file picker, and Ctrl+O leads to it', async ({ app }) => {
  test.skip(!app.host, 'the Electron app shows the operating system dialog instead');
  const { page } = app;
  // One listener for the whole test: Playwright intercepts file choosers only while one is
  // registered, and switching it on per chooser races the click that opens it.
  const choosers: FileChooser[] = [];
  page.on('filechooser', (chooser) => choosers.push(chooser));
  const nextChooser = async (count: number) => {
    await expect.poll(() => choosers.length).toBe(count);
    return choosers[count - 1]!;
  };
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  await page.getByRole('button', { name: 'Open file…' }).click();
  await (await nextChooser(1)).setFiles({ name: 'blinky.hex', mimeType: 'text/plain', buffer: Buffer.from(hexText(firmwareImage(2048))) });
  await expect(page.locator('.image-name')).toHaveText('blinky.hex');
  // Ctrl+O is the browser's own shortcut, not a gesture the page may open a chooser from: it moves
  // focus to the open button, and Enter there opens the chooser.
  await page.keyboard.press('Control+O');
  await expect(page.getByRole('button', { name: 'Open another…' })).toBeFocused();
  await page.keyboard.press('Enter');
  await (await nextChooser(2)).setFiles({ name: 'other.hex', mimeType: 'text/plain', buffer: Buffer.from(hexText(firmwareImage(1024))) });
  await expect(page.locator('.image-name')).toHaveText('other.hex');
});
