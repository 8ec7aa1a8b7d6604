import { existsSync, readFileSync } from 'node:fs';
import { test, expect } from '../fixtures/app.js';

test('the log can be filtered, searched and exported', async ({ app }) => {
  test.skip(!app.control, 'reads the exported file through the test host');
  const { page } = app;
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  const log = page.getByRole('region', { name: 'Log' });
  await expect(log.locator('.log-line').first()).toBeVisible();
  await log.getByLabel('Level').selectOption('debug');
  const all = await log.locator('.log-line').count();
  await log.getByRole('searchbox', { name: 'Filter log' }).fill('zzz-no-such-line');
  await expect(log.locator('.log-line')).toHaveCount(0);
  await log.getByRole('searchbox', { name: 'Filter log' }).fill('');
  await expect(log.locator('.log-line')).toHaveCount(all);
  await app.screenshot('15-log');
  await log.getByRole('button', { name: 'Export…' }).click();
  await expect(page.getByText(/^Log saved to /)).toBeVisible();
  const saved = (await app.control!('saved')) as string[];
  expect(saved).toHaveLength(1);
  expect(existsSync(saved[0]!) && readFileSync(saved[0]!, 'utf8').length).toBeGreaterThan(0);
});

test.describe('hotplug', () => {
  test.use({ simulator: '' });

  test('a device appears when plugged in and disappears when removed', async ({ app }) => {
    test.skip(!app.control, 'plugs simulated devices through the test host');
    const { page } = app;
    await expect(page.getByText('No DFU device connected')).toBeVisible();
    await expect(page.getByText(/Hold BOOT0 high/)).toBeVisible();
    await app.screenshot('16-empty-state');
    const { id } = (await app.control!('plug', { spec: 'stm32g474' })) as { id: string };
    const row = page.locator(`[data-device-id="${id}"]`);
    await expect(row).toBeVisible();
    await expect(row).toContainText('simulated');
    await app.control!('plug', { spec: 'stm32h743' });
    await expect(page.locator('.device-row')).toHaveCount(2);
    await app.control!('remove', { id });
    await expect(row).toHaveCount(0);
    await expect(page.locator('.device-row')).toHaveCount(1);
  });
});

test.describe('with the OS in dark mode', () => {
  test.use({ colorScheme: 'dark' });

  test('the window follows the dark colour scheme', async ({ app }) => {
    const { page } = app;
    await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(20, 23, 29)');
    await app.screenshot('17-dark');
  });
});
