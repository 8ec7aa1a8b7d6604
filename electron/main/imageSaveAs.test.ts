// "Save as" (Programmer.saveImageAs) and where a raw binary goes (ImageSummary.rawBase), through the
// service on the in-memory host: what the window sees and what lands on disk.

import { DfuError } from '../../core/errors.js';
import { addDfuSuffix } from '../../core/image/dfuFile.js';
import { loadFirmware } from '../../core/image/firmwareFile.js';
import { writeIntelHex } from '../../core/image/intelHex.js';
import { MemoryImage } from '../../core/image/memoryImage.js';
import { FLASH, firmware, hexBytes, rejection, setup } from './testing/serviceHarness.js';

const EEPROM = 0x0808_0000;

/** Flash and data EEPROM of an STM32L0: two blocks with a gap between them. */
function twoBlocks(): MemoryImage {
  return MemoryImage.fromBlocks([
    { start: FLASH, data: firmware(1024).read({ start: FLASH, end: FLASH + 1024 }, 0xff) },
    { start: EEPROM, data: Uint8Array.from({ length: 64 }, (_, i) => i) },
  ]);
}

function sameBlocks(a: MemoryImage, b: MemoryImage): void {
  expect(a.blocks.map((block) => [block.start, [...block.data]])).toEqual(b.blocks.map((block) => [block.start, [...block.data]]));
}

function saved(content: Uint8Array | string | undefined): Uint8Array {
  if (content === undefined) throw new Error('nothing was written');
  return typeof content === 'string' ? new TextEncoder().encode(content) : content;
}

describe('saveImageAs', () => {
  it('writes the loaded image as S-records, Intel HEX and .dfu that read back as the same blocks, named after the file', async () => {
    const { service, host } = await setup({ spec: 'stm32l073' });
    const image = twoBlocks();
    await service.openImage({ kind: 'bytes', fileName: 'app.v2.hex', bytes: new TextEncoder().encode(writeIntelHex(image, { startAddress: { kind: 'linear', address: FLASH + 0x101 } })) });
    for (const [format, path, name] of [
      ['srec', '/out/app.v2.srec', 'app.v2.srec'],
      ['hex', '/out/copy.hex', 'app.v2.hex'],
      ['dfu', '/out/app.v2.dfu', 'app.v2.dfu'],
    ] as const) {
      host.savePath = path;
      expect(await service.saveImageAs(format)).toBe(path);
      expect(host.savedNames.at(-1)).toBe(name);
      const back = loadFirmware(saved(host.fileSystem.get(path)), { fileName: path });
      sameBlocks(back.image, image);
      if (format !== 'dfu') expect(back.entryAddress).toBe(FLASH + 0x101);
      else expect(back.dfu).toMatchObject({ vendorId: 0x0483, productId: 0xdf11 });
    }
    const log = await service.getLog();
    expect(log.some((entry) => entry.message.startsWith('saved app.v2.hex as /out/app.v2.srec: Motorola S-record,'))).toBe(true);
  });

  it('fills a .bin’s gaps with the connected device’s erased value (0x00 on STM32L0) and logs where it starts', async () => {
    const { service, host } = await setup({ spec: 'stm32l073' });
    const image = twoBlocks();
    await service.openImage({ kind: 'bytes', fileName: 'app.hex', bytes: hexBytes(image) });
    host.savePath = '/out/app.bin';
    await service.saveImageAs('bin');
    const bin = saved(host.fileSystem.get('/out/app.bin'));
    expect(bin.length).toBe(EEPROM + 64 - FLASH);
    expect([...bin.subarray(1024, 1040)]).toEqual(new Array<number>(16).fill(0x00));
    expect([...bin.subarray(EEPROM - FLASH, EEPROM - FLASH + 4)]).toEqual([0, 1, 2, 3]);
    const log = await service.getLog();
    expect(log.at(-1)?.message).toContain('its first byte belongs at 0x08000000, and 1 gap was filled with 0x00');
  });

  it('fills with 0xFF when no device is connected', async () => {
    const { service, host } = await setup();
    await service.openImage({ kind: 'bytes', fileName: 'app.hex', bytes: hexBytes(twoBlocks()) });
    host.savePath = '/out/app.bin';
    await service.saveImageAs('bin');
    expect(saved(host.fileSystem.get('/out/app.bin'))[1024]).toBe(0xff);
  });

  it('follows the extension the user typed in the dialog over the button pressed', async () => {
    const { service, host } = await setup();
    await service.openImage({ kind: 'bytes', fileName: 'app.hex', bytes: hexBytes(firmware(512)) });
    host.savePath = '/out/typed.s19';
    await service.saveImageAs('bin');
    const text = new TextDecoder().decode(saved(host.fileSystem.get('/out/typed.s19')));
    expect(text).toMatch(/^S[0-3]/);
    sameBlocks(loadFirmware(new TextEncoder().encode(text), { fileName: 'typed.s19' }).image, firmware(512));
  });

  it('writes nothing when the dialog is cancelled, and refuses without an image', async () => {
    const { service, host } = await setup();
    expect((await rejection(service.saveImageAs('hex'))).info).toMatchObject({ kind: 'invalid-argument', argument: 'image' });
    expect(host.savedNames).toEqual([]);
    await service.openImage({ kind: 'bytes', fileName: 'app.hex', bytes: hexBytes(firmware(512)) });
    host.savePath = undefined;
    expect(await service.saveImageAs('dfu')).toBeNull();
    expect([...host.fileSystem.keys()].some((path) => path.endsWith('.dfu'))).toBe(false);
  });

  it('turns a failed write (disk full) into the output-file error', async () => {
    const { service, host } = await setup();
    await service.openImage({ kind: 'bytes', fileName: 'app.hex', bytes: hexBytes(firmware(512)) });
    host.files.writeFile = () =>
      Promise.reject(new DfuError({ kind: 'output-file', path: '/full/app.srec', folder: '/full', problem: 'disk-full', detail: 'ENOSPC' }));
    host.savePath = '/full/app.srec';
    expect((await rejection(service.saveImageAs('srec'))).info).toMatchObject({ kind: 'output-file', problem: 'disk-full' });
    expect(host.fileSystem.has('/full/app.srec')).toBe(false);
  });
});

describe('rawBase: where a raw binary went and whether the user chose it', () => {
  const raw = firmware(256).read({ start: FLASH, end: FLASH + 256 }, 0xff);
  const suffixed = addDfuSuffix(raw, { vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0 });

  it.each([
    ['a .bin', 'app.bin', raw],
    ['a .dfu that is only a binary with a DFU suffix', 'app.dfu', suffixed],
    ['a suffixed binary under an extension that names no format', 'app.fw', suffixed],
  ])('is set for %s placed at the start of flash by default, and chosen when the window gives the address', async (_, fileName, bytes) => {
    const { service } = await setup({ spec: 'stm32l073' });
    const placed = await service.openImage({ kind: 'bytes', fileName, bytes });
    expect(placed?.rawBase).toEqual({ address: FLASH, isChosen: false });
    const chosen = await service.openImage({ kind: 'bytes', fileName, bytes, baseAddress: FLASH + 0x4000 });
    expect(chosen?.rawBase).toEqual({ address: FLASH + 0x4000, isChosen: true });
    expect(chosen?.blocks[0]?.start).toBe(FLASH + 0x4000);
    // The plan names where the first byte goes.
    expect((await service.planProgram({ erase: 'touched', verify: true })).baseAddress).toBe(FLASH + 0x4000);
  });

  it('is absent for formats that carry their own addresses', async () => {
    const { service } = await setup();
    expect((await service.openImage({ kind: 'bytes', fileName: 'app.hex', bytes: hexBytes(firmware(256)) }))?.rawBase).toBeUndefined();
  });
});

describe('a binary whose name names no format: the app\'s --format bin', () => {
  const raw = firmware(256).read({ start: FLASH, end: FLASH + 256 }, 0xff);

  it('is refused as one that could be a raw binary, and opens as one when the window names the format', async () => {
    const { service } = await setup({ spec: 'stm32l073' });
    const refused = await rejection(service.openImage({ kind: 'bytes', fileName: 'fw.img', bytes: raw }));
    expect(refused.info).toMatchObject({ kind: 'image-format', file: 'fw.img', couldBeRawBinary: true });
    const text = await rejection(service.openImage({ kind: 'bytes', fileName: 'notes.txt', bytes: new TextEncoder().encode('Release notes\n') }));
    expect(text.info).not.toHaveProperty('couldBeRawBinary');
    const opened = await service.openImage({ kind: 'bytes', fileName: 'fw.img', bytes: raw, baseAddress: FLASH + 0x2000, format: 'binary' });
    expect(opened).toMatchObject({ format: 'binary', rawBase: { address: FLASH + 0x2000, isChosen: true } });
    expect((await service.planProgram({ erase: 'touched', verify: true })).baseAddress).toBe(FLASH + 0x2000);
  });

  it('picked in main\'s dialog: the refusal carries the file\'s token, which opens it as a raw binary and reloads it so', async () => {
    const { service, host } = await setup({ spec: 'stm32l073' });
    host.fileSystem.set('/fw/fw.img', raw);
    host.openPath = '/fw/fw.img';
    const refused = await rejection(service.openImage({ kind: 'dialog' }));
    expect(refused.info).toMatchObject({ kind: 'image-format', file: 'fw.img', couldBeRawBinary: true, fileToken: expect.stringMatching(/^[0-9a-f]{32}$/) as string });
    const token = (refused.info as { fileToken: string }).fileToken;
    const opened = await service.openImage({ kind: 'file', token, baseAddress: FLASH, format: 'binary' });
    expect(opened).toMatchObject({ fileName: 'fw.img', path: '/fw/fw.img', rawBase: { address: FLASH, isChosen: true } });
    expect(await service.reloadImage()).toMatchObject({ fileName: 'fw.img', format: 'binary', rawBase: { address: FLASH, isChosen: true } });
  });
});

