import { test, expect } from '../fixtures/app.js';
import { MemoryImage } from '../../core/image/memoryImage.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

// Differential: the preview reads the board first, so it says how many sectors already hold the
// image before anything is written, and "verified" covers the whole image.
for (const [width, height] of [
  [1366, 768],
  [1024, 640],
] as const) {
  test(`at ${width}x${height} a differential plan names the one page that changed and the whole image is verified`, async ({ app }) => {
    const { page } = app;
    await page.setViewportSize({ width, height });
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    const first = firmwareImage(4096, { seed: 21 });
    await app.drop('v1.hex', hexText(first));
    await page.getByTestId('flash-button').click();
    await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');

    // Version 2 differs in page 5 only.
    const data = first.blocks[0]!.data.slice();
    data[5 * 128 + 9] = data[5 * 128 + 9]! ^ 0xff;
    await app.drop('v2.hex', hexText(MemoryImage.fromBytes(first.start, data)));
    await page.getByRole('radio', { name: 'Differential' }).check();
    const plan = page.getByTestId('plan');
    await expect(plan).toContainText('31 sectors already hold the image and are left alone');
    await expect(plan).toContainText('erase 1 sector (5–5');
    await expect(plan).toContainText('write 128 B of the 4,096 B image, then verify 4,096 B');
    await app.screenshot(`37-differential-plan-${width}x${height}`);
    await page.getByTestId('flash-button').click();
    const result = page.getByRole('status', { name: 'Result' });
    await expect(result).toContainText('Flashed and verified');
    await expect(result.getByRole('cell', { name: 'Verify' })).toBeVisible();
    await expect(result.getByRole('cell', { name: 'Read' })).toHaveCount(0);
    // The result names its file and what the flash did with it.
    await expect(result.getByTestId('result-firmware')).toContainText('v2.hex (CRC-32 0x');
    await expect(result.getByTestId('result-firmware')).toContainText('wrote 128 B of 4,096 B, erased 1 sector; 31 sectors already held the image');
    await app.screenshot(`37b-differential-result-${width}x${height}`);
  });
}
