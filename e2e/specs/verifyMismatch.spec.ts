import { test, expect } from '../fixtures/app.js';
import { FLASH_START, firmwareImage, hexText } from '../fixtures/firmware.js';

test('flashing without erase over old firmware fails verification and the diff viewer explains why', async ({ app }) => {
  const { page } = app;
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  await app.drop('firmware.hex', hexText(firmwareImage(8192, { seed: 99 })));
  await page.getByRole('radio', { name: 'No erase' }).check();
  await expect(page.getByTestId('plan')).toContainText('erase nothing');
  await page.getByTestId('flash-button').click();

  const viewer = page.getByRole('region', { name: 'Verification differences' });
  await expect(viewer).toBeVisible();
  await expect(viewer.getByTestId('diagnosis')).toHaveAttribute('data-kind', 'not-erased');
  await expect(viewer).toContainText(/Verification failed: [\d,]+ B differ/);
  await expect(viewer.locator('.byte.differs').first()).toBeVisible();
  const status = viewer.getByText(/Difference \d+ of \d+/);
  await expect(status).toContainText('Difference 1 of');
  await page.keyboard.press('n');
  await expect(status).toContainText('Difference 2 of');
  await page.keyboard.press('p');
  await expect(status).toContainText('Difference 1 of');
  await app.screenshot('09-diff-viewer');

  // The last difference, in the second half of the 8 KiB image: the report samples only the
  // first few (8 windows of 32 bytes), so its bytes come from main as the row scrolls into view.
  await page.keyboard.press('p');
  const total = Number(/of (\d+)/.exec((await status.textContent()) ?? '')?.[1]);
  expect(total).toBeGreaterThan(8);
  await expect(status).toContainText(`Difference ${total} of`);
  const current = viewer.locator('.diff-row.current');
  await expect(current.locator('.byte.differs').first()).toBeVisible();
  const address = Number(await current.getAttribute('data-address'));
  expect(address).toBeGreaterThanOrEqual(FLASH_START + 0x1000);
  expect(address).toBeLessThan(FLASH_START + 8192);
  await app.screenshot('09b-diff-viewer-last-difference');

  await viewer.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('button', { name: 'Show differences' })).toBeVisible();
});
