import { existsSync, statSync } from 'node:fs';
import { test, expect } from '../fixtures/app.js';

test('a region is read back and saved as .hex, .bin and .dfu', async ({ app }) => {
  test.skip(!app.control, 'reads the saved files through the test host');
  const { page } = app;
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  await page.getByRole('tab', { name: 'Read back' }).click();
  await page.getByLabel('Length').fill('0x1000');
  await page.getByRole('button', { name: /^Read 4 KiB/ }).click();
  const result = page.getByRole('region', { name: 'Read-back result' });
  await expect(result).toContainText('4,096 B');
  await app.screenshot('14-read-back');
  for (const label of ['Intel HEX', 'Raw binary', 'DfuSe']) {
    await result.getByRole('button', { name: new RegExp(label) }).click();
    await expect(page.getByText(/^Saved to /)).toBeVisible();
    await page.getByRole('button', { name: 'Dismiss' }).click();
  }
  const saved = (await app.control!('saved')) as string[];
  expect(saved).toHaveLength(3);
  for (const file of saved) expect(existsSync(file) && statSync(file).size).toBeGreaterThan(0);
  expect(statSync(saved.find((file) => file.endsWith('.bin'))!).size).toBe(4096);
});
