import { test, expect } from '../fixtures/app.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

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
  const status = viewer.getByText(/Difference \d+ of \d+ shown/);
  await expect(status).toContainText('Difference 1 of');
  await page.keyboard.press('n');
  await expect(status).toContainText('Difference 2 of');
  await page.keyboard.press('p');
  await expect(status).toContainText('Difference 1 of');
  await app.screenshot('09-diff-viewer');

  await viewer.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('button', { name: 'Show differences' })).toBeVisible();
});
