import { test, expect } from '../fixtures/app.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

test('in a plain browser, "Open file…" and Ctrl+O open the page\'s own file picker and load the file', async ({ app }) => {
  test.skip(!app.host, 'the Electron app shows the operating system dialog instead');
  const { page } = app;
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  const firstChooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Open file…' }).click();
  await (await firstChooser).setFiles({ name: 'blinky.hex', mimeType: 'text/plain', buffer: Buffer.from(hexText(firmwareImage(2048))) });
  await expect(page.locator('.image-name')).toHaveText('blinky.hex');
  const secondChooser = page.waitForEvent('filechooser');
  await page.keyboard.press('Control+O');
  await (await secondChooser).setFiles({ name: 'other.hex', mimeType: 'text/plain', buffer: Buffer.from(hexText(firmwareImage(1024))) });
  await expect(page.locator('.image-name')).toHaveText('other.hex');
});
