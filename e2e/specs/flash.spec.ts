import { test, expect } from '../fixtures/app.js';
import { dfuBytes, firmwareImage, hexText } from '../fixtures/firmware.js';

test.describe('Flashing firmware', () => {
  // Slow enough that the progress screenshot catches the write phase.
  test.use({ speed: 2 });

  test('a HEX dropped on a simulated STM32L073 is flashed to a verified result (the founding case)', async ({ app }) => {
    const { page } = app;
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    await expect(page.getByRole('tab', { name: 'Flash' })).toHaveAttribute('aria-selected', 'true');
    await app.screenshot('01-device-connected');

    await app.drop('firmware.hex', hexText(firmwareImage(66_748)));
    await expect(page.getByTestId('image-size')).toHaveText('66,748 B');
    await expect(page.getByText(/Initial stack pointer 0x20005000 is in RAM/)).toBeVisible();
    const plan = page.getByTestId('plan');
    await expect(plan).toContainText('erase 522 sectors (0–521, 0x08000000–0x08010500)');
    await expect(plan).toContainText('write 66,748 B');
    await expect(page.locator('canvas.map-canvas').first()).toHaveAttribute('data-erase', '522');
    await app.screenshot('02-memory-map-and-plan');

    // 66,748 B end inside page 521; the old firmware is 48 KiB, so the rest of that page was read
    // and is blank: nothing is lost and nothing is asked.
    await expect(plan).toContainText('Sector 521 tail is blank: nothing lost');
    await page.getByTestId('flash-button').click();
    await expect(page.getByRole('dialog')).toHaveCount(0);
    const progress = page.getByRole('region', { name: 'Progress' });
    await expect(progress.locator('[data-phase="write"][data-status="active"], [data-phase="verify"][data-status="active"]').first()).toBeVisible();
    await app.screenshot('04-progress');

    const result = page.getByRole('status', { name: 'Result' });
    await expect(result).toContainText('Flashed and verified');
    await expect(result.getByRole('cell', { name: 'Erase' })).toBeVisible();
    await app.screenshot('05-verified');

    await page.getByRole('tab', { name: 'Memory' }).click();
    await expect(page.locator('canvas.map-canvas').first()).toHaveAttribute('data-sectors', '1536');
    await app.screenshot('06-memory-tab');
    await page.getByRole('tab', { name: 'Device' }).click();
    await expect(page.getByText('Transfer size')).toBeVisible();
    await app.screenshot('07-device-tab');
  });

  test.describe('on an STM32F405', () => {
    test.use({ simulator: 'stm32f405' });

    test('a .dfu file is flashed and verified, and a file for another device is flagged', async ({ app }) => {
      const { page } = app;
      await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
      await app.drop('other.dfu', dfuBytes(firmwareImage(4096), { vendorId: 0x1234, productId: 0x5678 }));
      await expect(page.getByTestId('plan-confirmations')).toContainText('other.dfu says it is for USB device 1234:5678; this device is 0483:DF11');
      // Main refuses it without the confirmation; the dialog asks for it on its own line.
      await page.getByTestId('flash-button').click();
      const dialog = page.getByRole('dialog', { name: 'Flash and confirm?' });
      const flashAnyway = dialog.getByRole('button', { name: 'Flash anyway' });
      await expect(flashAnyway).toBeDisabled();
      await dialog.getByRole('checkbox', { name: /Flash a \.dfu file made for another USB device/ }).check();
      await app.screenshot('08a-confirm-other-device');
      await flashAnyway.click();
      await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');

      await app.drop('app.dfu', dfuBytes(firmwareImage(40_000)));
      await expect(page.getByTestId('image-size')).toHaveText('40,000 B');
      await expect(page.getByTestId('plan-confirmations')).toHaveCount(0);
      // 40,000 B end inside sector 2: keep the rest of it instead of confirming its loss.
      await expect(page.getByTestId('plan')).toContainText('erase 3 sectors');
      await expect(page.getByTestId('plan')).toContainText('sector 2 [0x08008000, 0x0800C000) holds 8.9 KiB of data outside the image');
      await page.getByRole('checkbox', { name: 'Preserve data outside the image' }).check();
      await expect(page.getByTestId('plan')).toContainText('preserving data outside the image');
      // The plan main made for preserve (not only the option's own words) is in before the click.
      await expect(page.getByTestId('plan')).toContainText('preserving 8.9 KiB outside the image');
      await expect(page.getByTestId('flash-button')).toBeEnabled();
      await page.getByTestId('flash-button').click();
      await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');
      await app.screenshot('08-f405-dfu-verified');
    });
  });
});
