import type { Locator, Page } from '@playwright/test';
import { test, expect } from '../fixtures/app.js';

/** The row of a field, by its register bit name as the table shows it. */
const row = (page: Page, field: string) => page.locator(`tr[data-field="${field}"]`);
const meaning = (page: Page, field: string) => row(page, field).getByTestId('field-meaning');

test('the watchdog and a reset bit are changed by meaning, written, and read back as meant; RDP level 2 needs the phrase', async ({ app }) => {
  const { page } = app;
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  // Read as the board connects: the row shows read protection, the tab is filled.
  await expect(page.getByTestId('device-rdp')).toHaveText('RDP 0');
  await page.getByRole('tab', { name: 'Option bytes' }).click();
  await expect(page.getByText(/STM32L0 option bytes at 0x1FF80000, read protection level 0/)).toBeVisible();
  // The STM32L073 factory state in words (the bits are 1: software watchdog, no resets).
  await expect(meaning(page, 'iwdg_sw')).toHaveText('Software watchdog (started by firmware)');
  await expect(meaning(page, 'nrst_stop')).toHaveText('No reset when entering Stop mode');
  await expect(row(page, 'iwdg_sw')).toContainText('IWDG_SW');
  await expect(row(page, 'iwdg_sw').locator('input[type="checkbox"]')).toHaveCount(0);
  // Nothing to remove at level 0.
  await expect(page.getByRole('button', { name: 'Remove read protection…' })).toHaveCount(0);
  await app.screenshot('12-option-bytes');

  // RDP level 2: the dialog explains it is permanent and will not lock without the phrase.
  const rdpSelect = row(page, 'rdp').locator('select');
  await rdpSelect.selectOption({ label: await levelTwoLabel(rdpSelect) });
  await page.getByRole('button', { name: 'Review and write…' }).click();
  const lockDialog = page.getByRole('dialog', { name: 'Permanently lock this chip?' });
  await expect(lockDialog).toContainText('It cannot be undone');
  await expect(lockDialog.getByRole('button', { name: 'Lock the chip forever' })).toBeDisabled();
  await lockDialog.getByRole('textbox').fill('yes');
  await expect(lockDialog.getByRole('button', { name: 'Lock the chip forever' })).toBeDisabled();
  await app.screenshot('13-rdp2-confirm');
  await lockDialog.getByRole('button', { name: 'Cancel' }).click();
  await rdpSelect.selectOption({ label: 'Level 0: no protection' });

  // Hardware watchdog and reset on Stop, chosen by what they mean.
  await row(page, 'iwdg_sw').locator('select').selectOption({ label: 'Hardware watchdog (starts at reset)' });
  await row(page, 'nrst_stop').locator('select').selectOption({ label: 'Reset when entering Stop mode' });
  await expect(row(page, 'iwdg_sw')).toHaveClass(/changed/);
  await page.getByRole('button', { name: 'Review and write…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Write option bytes?' });
  await expect(dialog.locator('tr.changed')).toHaveCount(2);
  await expect(dialog).toContainText('Software watchdog (started by firmware) (0x1)');
  await expect(dialog).toContainText('Hardware watchdog (starts at reset) (0x0)');
  await dialog.getByRole('button', { name: 'Write option bytes' }).click();
  await expect(page.getByRole('status', { name: 'Result' })).toContainText(/Option bytes (written|read)/);
  // The device reset and was read again: the bits it meant, in words and raw.
  await expect(meaning(page, 'iwdg_sw')).toHaveText('Hardware watchdog (starts at reset)');
  await expect(meaning(page, 'nrst_stop')).toHaveText('Reset when entering Stop mode');
  await expect(row(page, 'iwdg_sw').locator('.field-raw')).toContainText('0x0 · 0x1FF80004 bit 4');
  await expect(row(page, 'nrst_stdby').getByTestId('field-meaning')).toHaveText('No reset when entering Standby mode');
});

test.describe('STM32F405', () => {
  test.use({ simulator: 'stm32f405' });

  test('write protection is offered per sector with its address range; protecting one asks first', async ({ app }) => {
    const { page } = app;
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    await page.getByRole('tab', { name: 'Option bytes' }).click();
    await expect(meaning(page, 'nwrp')).toHaveText('nothing protected');
    const sector1 = row(page, 'nwrp').getByLabel('Write-protect Sector 1 (0x08004000-0x08007FFF)');
    await expect(sector1).not.toBeChecked();
    // F405: SPRMOD is reserved (12 sectors), so it is not offered.
    await expect(row(page, 'sprmod')).toContainText('read-only');
    await row(page, 'nwrp').scrollIntoViewIfNeeded();
    await app.screenshot('12b-option-bytes-f4');
    await sector1.check();
    await page.getByRole('button', { name: 'Review and write…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Write option bytes?' });
    await expect(dialog).toContainText('nWRP write-protects Sector 1 (0x08004000-0x08007FFF)');
    await expect(dialog.getByRole('button', { name: 'Write option bytes' })).toBeDisabled();
    await dialog.getByTestId('confirm-option-lockout').locator('input').check();
    await expect(dialog.getByRole('button', { name: 'Write option bytes' })).toBeEnabled();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });
});

async function levelTwoLabel(select: Locator): Promise<string> {
  const labels = await select.locator('option').allTextContents();
  const label = labels.find((text) => /Level 2/.test(text));
  if (!label) throw new Error(`no RDP level 2 choice among ${labels.join(', ')}`);
  return label;
}
