import { test, expect } from '../fixtures/app.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

// The STM32L072xB: its bootloader describes 192 KiB of flash for 128 KiB (reference §7.1).
test.describe('on an STM32L072xB', () => {
  test.use({ simulator: 'stm32l072xb', speed: 50 });

  test('the Device tab notes the size read from the flash-size register; it refuses an image above it and flashes one below', async ({ app }) => {
    const { page } = app;
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    // The device row shows the flash the chip has, not the 192 KiB its bootloader describes.
    await expect(page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first()).toContainText('STM32L0 · 128 KiB flash');
    await page.getByRole('tab', { name: 'Device' }).click();
    // The simulated ROM lets F_SIZE be read at connect: the note is the correction (core/devices/flashSize.ts).
    await expect(page.getByRole('region', { name: 'Notes' })).toContainText('Flash size corrected from the flash-size register (F_SIZE at 0x1FF8007C): 128 KiB');

    await page.getByRole('tab', { name: 'Flash' }).click();
    await app.drop('big.hex', hexText(firmwareImage(160 * 1024)));
    // The size read from the register applies by itself: no field to fill in.
    await expect(page.getByLabel('Real flash size in KiB')).toHaveCount(0);
    await expect(page.getByRole('alert', { name: 'Plan' })).toContainText('0x08020000 in Internal Flash is not writable: at or above the 128 KiB flash size from the flash-size register');
    await app.screenshot('15-flash-size-refused');

    await app.drop('small.hex', hexText(firmwareImage(8 * 1024)));
    await expect(page.getByTestId('plan')).toContainText('erase 64 sectors');
    await page.getByTestId('flash-button').click();
    await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');
  });
});
