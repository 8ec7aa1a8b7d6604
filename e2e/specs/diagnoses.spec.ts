import { test, expect } from '../fixtures/app.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

// A failed verification says what happened in this context, lets the user visit each difference
// by address, and offers the one action that fixes it.
for (const [width, height] of [
  [1366, 768],
  [1024, 640],
] as const) {
  test(`at ${width}x${height} un-erased pages are found, each difference is visited by address, and one click flashes again with erase`, async ({ app }) => {
    const { page } = app;
    await page.setViewportSize({ width, height });
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    // 8 KiB (whole pages) over the board's old application, without an erase.
    await app.drop('firmware.hex', hexText(firmwareImage(8192, { seed: 99 })));
    await page.getByRole('radio', { name: 'No erase' }).check();
    await expect(page.getByTestId('plan')).toContainText('erase nothing');
    await page.getByTestId('flash-button').click();

    const viewer = page.getByRole('region', { name: 'Verification differences' });
    await expect(viewer.getByTestId('diagnosis')).toHaveAttribute('data-kind', 'not-erased');
    const status = viewer.getByText(/Difference \d+ of \d+/);
    await expect(status).toContainText(/Difference 1 of \d+ at 0x080000[0-9A-F]{2}/);
    const first = /at (0x[0-9A-F]{8})/.exec((await status.textContent()) ?? '')![1];
    await page.keyboard.press('n');
    await expect(status).toContainText(/Difference 2 of \d+ at 0x[0-9A-F]{8}/);
    const second = /at (0x[0-9A-F]{8})/.exec((await status.textContent()) ?? '')![1];
    expect(Number(second)).toBeGreaterThan(Number(first));
    await app.screenshot(`32-not-erased-remedy-${width}x${height}`);

    await viewer.getByTestId('remedy').click();
    await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');
    await expect(page.getByRole('radio', { name: 'Touched sectors' })).toBeChecked();
  });

  test(`at ${width}x${height} Verify only says the board holds different firmware, or that the image is shifted by 4 bytes`, async ({ app }) => {
    const { page } = app;
    await page.setViewportSize({ width, height });
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    const build = firmwareImage(8192, { seed: 7 });
    await app.drop('app.hex', hexText(build));
    await page.getByTestId('flash-button').click();
    await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');

    // Another build of the same size: nothing is written, so no erase is blamed.
    await app.drop('other.hex', hexText(firmwareImage(8192, { seed: 8 })));
    await page.getByRole('button', { name: 'Verify only' }).click();
    const viewer = page.getByRole('region', { name: 'Verification differences' });
    await expect(viewer.getByTestId('diagnosis')).toHaveAttribute('data-kind', 'different-firmware');
    await expect(viewer.getByTestId('diagnosis')).toContainText('the board holds different firmware');
    await expect(viewer.getByTestId('remedy')).toHaveText('Flash other.hex');
    await app.screenshot(`33-verify-only-other-firmware-${width}x${height}`);

    // The same build, but placed 4 bytes high (as a raw binary typed at the wrong address would be).
    const shifted = firmwareImage(8192, { seed: 7, start: 0x08000004 });
    await app.drop('shifted.hex', hexText(shifted));
    await page.getByRole('button', { name: 'Verify only' }).click();
    await expect(viewer.getByTestId('diagnosis')).toHaveAttribute('data-kind', 'shifted');
    await expect(viewer.getByTestId('diagnosis')).toContainText('the image is shifted by 4 bytes: the board holds these bytes 4 bytes lower');
    await app.screenshot(`34-verify-only-shifted-${width}x${height}`);
  });
}
