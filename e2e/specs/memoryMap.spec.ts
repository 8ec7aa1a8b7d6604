import { test, expect } from '../fixtures/app.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

// The memory map to scale, with an address axis, and a band for what is on the chip once known.
test.describe('memory map on an STM32F405 (16, 64 and 128 KiB sectors)', () => {
  test.use({ simulator: 'stm32f405' });

  for (const [width, height] of [
    [1366, 768],
    [1024, 640],
  ] as const) {
    test(`at ${width}x${height} sectors are drawn to scale and the chip's content shows beside the plan`, async ({ app }) => {
      const { page } = app;
      await page.setViewportSize({ width, height });
      await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
      // 40,000 B: sectors 0-2 (16 KiB each), ending inside sector 2, which is read first.
      await app.drop('app.hex', hexText(firmwareImage(40_000)));
      await expect(page.getByTestId('plan')).toContainText('erase 3 sectors');
      await page.getByRole('tab', { name: 'Memory' }).click();
      const map = page.locator('canvas.map-canvas').first();
      await expect(map).toHaveAttribute('data-sectors', '12');
      // Rows of a power of two bytes: the caption says how much a row holds.
      const rowBytes = Number(await map.getAttribute('data-row-bytes'));
      expect(rowBytes & (rowBytes - 1)).toBe(0);
      await expect(page.locator('.map-caption').first()).toContainText(/to scale, \d+ KiB a row/);
      // The plan read sector 2's tail: the chip's band knows it holds data (the old application).
      await expect(map).toHaveAttribute('data-content-data', '1');
      await expect(page.getByRole('list', { name: 'Legend' })).toContainText('On the chip');
      await app.screenshot(`35-memory-map-plan-${width}x${height}`);

      await page.getByRole('tab', { name: 'Flash' }).click();
      await page.getByTestId('flash-button').click();
      await page.getByRole('dialog', { name: 'Flash and lose data?' }).getByRole('button', { name: 'Flash anyway' }).click();
      await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');
      await page.getByRole('tab', { name: 'Memory' }).click();
      // After the verification the three sectors the image covers match it.
      await expect(map).toHaveAttribute('data-content-matches', '3');
      await expect(page.locator('.map-caption').first()).toContainText('on the chip: 3 matching the image');
      await app.screenshot(`36-memory-map-after-verify-${width}x${height}`);
    });
  }
});
