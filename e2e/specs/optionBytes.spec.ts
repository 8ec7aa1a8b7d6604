import type { Locator } from '@playwright/test';
import { test, expect } from '../fixtures/app.js';

test('option bytes are read, edited and written; RDP level 2 is refused without the phrase', async ({ app }) => {
  const { page } = app;
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  await page.getByRole('tab', { name: 'Option bytes' }).click();
  await page.getByRole('button', { name: 'Read option bytes' }).click();
  await expect(page.getByText(/read protection level 0/)).toBeVisible();
  await app.screenshot('12-option-bytes');

  // RDP level 2: the dialog explains it is permanent and will not lock without the phrase.
  const rdp = page.locator('tr[data-field]').filter({ has: page.locator('select') }).first();
  const rdpSelect = page.locator('table').first().locator('select').first();
  await rdpSelect.selectOption({ label: await levelTwoLabel(rdpSelect) });
  await expect(rdp.or(page.locator('tr.changed')).first()).toBeVisible();
  await page.getByRole('button', { name: 'Review and write…' }).click();
  const lockDialog = page.getByRole('dialog', { name: 'Permanently lock this chip?' });
  await expect(lockDialog).toContainText('It cannot be undone');
  await expect(lockDialog.getByRole('button', { name: 'Lock the chip forever' })).toBeDisabled();
  await lockDialog.getByRole('textbox').fill('yes');
  await expect(lockDialog.getByRole('button', { name: 'Lock the chip forever' })).toBeDisabled();
  await app.screenshot('13-rdp2-confirm');
  await lockDialog.getByRole('button', { name: 'Cancel' }).click();
  await rdpSelect.selectOption({ index: 0 });

  // An ordinary change: highlighted, summarised, written, read back.
  const editable = page.locator('tr[data-field]').filter({ has: page.locator('input[type="checkbox"]:not([disabled])') }).first();
  const field = await editable.getAttribute('data-field');
  const checkbox = editable.locator('input[type="checkbox"]');
  const wasChecked = await checkbox.isChecked();
  await checkbox.setChecked(!wasChecked);
  await expect(editable).toHaveClass(/changed/);
  await page.getByRole('button', { name: 'Review and write…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Write option bytes?' });
  await expect(dialog.locator('tr.changed')).toHaveCount(1);
  await dialog.getByRole('button', { name: 'Write option bytes' }).click();
  await expect(page.getByRole('status', { name: 'Result' })).toContainText(/Option bytes (written|read)/);
  await expect(page.locator(`tr[data-field="${field}"] input[type="checkbox"]`)).toBeChecked({ checked: !wasChecked });
});

async function levelTwoLabel(select: Locator): Promise<string> {
  const labels = await select.locator('option').allTextContents();
  const label = labels.find((text) => /2/.test(text));
  if (!label) throw new Error(`no RDP level 2 choice among ${labels.join(', ')}`);
  return label;
}
