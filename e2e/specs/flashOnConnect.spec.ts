import { test, expect } from '../fixtures/app.js';
import { firmwareImage, hexText } from '../fixtures/firmware.js';

test('with "flash every board" on, each board that is plugged in gets the image and is counted', async ({ app }) => {
  test.skip(!app.control, 'plugs simulated boards through the test host');
  const { page } = app;
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  // A whole number of pages: nothing outside the image is erased, so no confirmation is needed.
  await app.drop('production.hex', hexText(firmwareImage(4096)));
  await expect(page.getByTestId('image-size')).toHaveText('4,096 B');
  await page.getByRole('checkbox', { name: 'Flash every board that connects' }).check();
  const tally = page.getByLabel('Tally');
  await expect(tally).toContainText('0 passed');

  await app.control!('plug', { spec: 'stm32l073' });
  await expect(tally).toContainText('1 passed', { timeout: 30_000 });
  await app.control!('plug', { spec: 'stm32l073:writeError' });
  await expect(tally).toContainText('1 failed', { timeout: 30_000 });
  await app.screenshot('18-flash-on-connect');
});
