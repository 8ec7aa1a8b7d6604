import { test, expect } from '../fixtures/app.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

// Laptop screens: the Flash button and the progress stay in view without scrolling.
for (const [width, height] of [
  [1366, 768],
  [1024, 640],
] as const) {
  test(`at ${width}x${height} the Flash button and the progress are in view without scrolling`, async ({ app }) => {
    const { page } = app;
    await page.setViewportSize({ width, height });
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    // A whole number of 128-byte pages: no partly covered page, so no data-loss question.
    await app.drop('firmware.hex', hexText(firmwareImage(65_536)));
    const flash = page.getByTestId('flash-button');
    await expect(flash).toBeEnabled();
    await expect(flash).toBeInViewport({ ratio: 1 });
    await expect(page.getByTestId('action-summary')).toHaveText(/^erase \d+ sectors, write /);
    await app.screenshot(`16-flash-${width}x${height}`);
    await flash.click();
    // While it runs, the bar shows the phase and how far it is.
    await expect(page.getByTestId('action-summary')).toHaveText(/^(Erase|Write|Verify)\w* \d+%$/);
    await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');
  });
}
