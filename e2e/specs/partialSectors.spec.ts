import { test, expect } from '../fixtures/app.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

// "Flash and lose data?" only when there is data to lose: the plan reads the rest of a partly
// covered page from the board first. The simulated L073 holds a 48 KiB old application.
for (const [width, height] of [
  [1366, 768],
  [1024, 640],
] as const) {
  test(`at ${width}x${height} a blank page tail is read and flashed without a question; a tail with data asks first`, async ({ app }) => {
    const { page } = app;
    await page.setViewportSize({ width, height });
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();

    // 66,748 B end inside page 521, far past the old application: its tail is blank (0x00 on L0).
    await app.drop('firmware.hex', hexText(firmwareImage(66_748)));
    const plan = page.getByTestId('plan');
    await expect(plan).toContainText('Sector 521 tail is blank: nothing lost (read from the device).');
    await expect(plan).not.toContainText('only partly covered');
    await app.screenshot(`30-blank-tail-${width}x${height}`);
    await page.getByTestId('flash-button').click();
    await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');
    await expect(page.getByRole('dialog')).toHaveCount(0);

    // 40,000 B end inside page 312, in the old application: the tail holds data, so it asks.
    await app.drop('short.hex', hexText(firmwareImage(40_000, { seed: 5 })));
    await expect(plan).toContainText(/sector 312 \[0x08009C00, 0x08009C80\) holds \d+ B of data outside the image that the erase destroys/);
    await page.getByTestId('flash-button').click();
    const confirm = page.getByRole('dialog', { name: 'Flash and lose data?' });
    await expect(confirm).toBeVisible();
    await expect(confirm).toContainText('sector 312');
    await app.screenshot(`31-tail-with-data-asks-${width}x${height}`);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
  });
}
