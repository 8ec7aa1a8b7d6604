import { readFileSync } from 'node:fs';
import { test, expect } from '../fixtures/app.js';
import { dfuBytes, firmwareImage } from '../fixtures/firmware.js';
import { loadFirmware } from '../../core/image/firmwareFile.js';
import { addDfuSuffix } from '../../core/image/dfuFile.js';
import { MemoryImage } from '../../core/image/memoryImage.js';

test('a loaded .dfu is saved as Intel HEX that holds the same blocks', async ({ app }) => {
  test.skip(!app.control, 'reads the saved file through the test host');
  const { page } = app;
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  // Flash and data EEPROM in one .dfu: two blocks, two targets.
  const flash = firmwareImage(4096);
  const eeprom = MemoryImage.fromBlocks([{ start: 0x08080000, data: Uint8Array.from({ length: 128 }, (_, i) => i) }]);
  const image = MemoryImage.fromBlocks([...flash.blocks, ...eeprom.blocks]);
  await app.drop('release.dfu', dfuBytes(image));
  await expect(page.locator('.image-name')).toHaveText('release.dfu');
  const saveAs = page.getByRole('group', { name: 'Save as' });
  await saveAs.getByRole('button', { name: 'Intel HEX' }).click();
  await expect(page.getByText(/^Saved to .*release\.hex$/)).toBeVisible();
  await app.screenshot('20-save-as');
  const saved = (await app.control!('saved')) as string[];
  expect(saved).toHaveLength(1);
  expect(saved[0]).toMatch(/release\.hex$/);
  const text = readFileSync(saved[0]!, 'utf8');
  expect(text.startsWith(':')).toBe(true);
  const back = loadFirmware(new TextEncoder().encode(text), { fileName: 'release.hex' });
  expect(back.format).toBe('intel-hex');
  expect(back.image.blocks.map((block) => [block.start, block.data.length])).toEqual([
    [0x08000000, 4096],
    [0x08080000, 128],
  ]);
  expect(Buffer.from(back.image.blocks[0]!.data).equals(Buffer.from(flash.blocks[0]!.data))).toBe(true);
});

test('a raw binary that carries only a DFU suffix gets the base-address question, and the plan says where it goes', async ({ app }) => {
  const { page } = app;
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  const raw = firmwareImage(2048).blocks[0]!.data;
  await app.drop('plain.dfu', addDfuSuffix(raw, { vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0 }));
  const dialog = page.getByRole('dialog', { name: 'Where does this binary go?' });
  await expect(dialog).toBeVisible();
  const address = dialog.getByRole('textbox', { name: 'Base address' });
  await expect(address).toHaveValue('0x08000000');
  await address.fill('0x08004000');
  await dialog.getByRole('button', { name: 'Load at this address' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('plan-base-address')).toContainText('0x08004000');
});

test('a binary named without a firmware extension is asked about instead of refused, and opens as a raw binary', async ({ app }) => {
  const { page } = app;
  await page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first().click();
  await app.drop('fw.img', firmwareImage(1024).blocks[0]!.data);
  const dialog = page.getByRole('dialog', { name: 'Where does this binary go?' });
  await expect(dialog).toContainText('fw.img has no firmware extension');
  await dialog.getByRole('textbox', { name: 'Base address' }).fill('0x08001000');
  await dialog.getByRole('button', { name: 'Load at this address' }).click();
  await expect(page.locator('.image-name')).toHaveText('fw.img');
  await expect(page.getByTestId('plan-base-address')).toContainText('0x08001000');
});

