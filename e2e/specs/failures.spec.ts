import { test, expect } from '../fixtures/app.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

test.describe('a board unplugged mid-write', () => {
  test.use({ simulator: 'stm32l073:unplugMidWrite' });

  test('shows the error, and flashes after it is plugged back in', async ({ app }) => {
    test.skip(!app.control, 'needs the test host to replug the simulated board');
    const { page } = app;
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    await app.drop('firmware.hex', hexText(firmwareImage(16_384)));
    await page.getByTestId('flash-button').click();
    await expect(page.getByRole('alert').filter({ hasText: 'The device was disconnected' })).toBeVisible();
    await expect(page.getByText(/Reconnect it in DFU mode and flash again/)).toBeVisible();
    await app.screenshot('10-unplugged');

    await app.control!('replug');
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    await expect(page.getByTestId('flash-button')).toBeEnabled();
    await page.getByTestId('flash-button').click();
    await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');
  });
});

test.describe('a read-protected chip', () => {
  test.use({ simulator: 'stm32l073:readProtected' });

  test('is unprotected after the user confirms the mass erase, then flashes', async ({ app }) => {
    const { page } = app;
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    await app.drop('firmware.hex', hexText(firmwareImage(4096)));
    // Known as it connects: the bootloader refused to read the option bytes for read protection.
    await expect(page.getByTestId('device-rdp')).toHaveText('RDP 1');
    await page.getByTestId('flash-button').click();
    await expect(page.locator('.error-title').getByText('The chip is read-protected')).toBeVisible();
    await page.getByRole('button', { name: 'Remove read protection…' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Remove read protection?' });
    await expect(dialog).toContainText('erase its entire flash');
    await app.screenshot('11-read-unprotect-confirm');
    await dialog.getByRole('button', { name: 'Erase the chip and unprotect' }).click();
    await expect(page.getByRole('status', { name: 'Result' })).toContainText('Read protection removed');

    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    await page.getByTestId('flash-button').click();
    await expect(page.getByRole('status', { name: 'Result' })).toContainText('Flashed and verified');
  });
});
