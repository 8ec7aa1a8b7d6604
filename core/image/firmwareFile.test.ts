import fc from 'fast-check';
import { crc32 } from '../bytes.js';
import { DfuError } from '../errors.js';
import { blinky, errorInfo, fixtureBytes } from '../testing/fixtures/firmware/firmwareFixtures.js';
import { addDfuSuffix, writeDfuFile } from './dfuFile.js';
import { detectFormat, loadFirmware, summarizeImage } from './firmwareFile.js';
import { MemoryImage } from './memoryImage.js';

const reference = loadFirmware(fixtureBytes('blinky.hex')).image;
const flash = reference.slice({ start: blinky.flashStart, end: blinky.eepromStart });

describe('loadFirmware', () => {
  it('decodes every fixture format to the same image', () => {
    const sparse = ['blinky.hex', 'blinky-32.hex', 'blinky.srec', 'blinky.elf', 'blinky-one-target.dfu'];
    for (const name of sparse) expect(loadFirmware(fixtureBytes(name), { fileName: name }).image.blocks, name).toEqual(reference.blocks);
    const binaries = loadFirmware(fixtureBytes('blinky-flash.bin'), { baseAddress: blinky.flashStart }).image.join(
      loadFirmware(fixtureBytes('blinky-eeprom.bin'), { baseAddress: blinky.eepromStart }).image,
    );
    expect(binaries.blocks).toEqual(reference.blocks);
    const dfu = loadFirmware(fixtureBytes('blinky.dfu'));
    expect(MemoryImage.fromBlocks(dfu.targets!.flatMap((t) => t.image.blocks)).blocks).toEqual(reference.blocks);
  });

  it('detects the format by content, whatever the file is called', () => {
    const cases: [string, string][] = [
      ['blinky.hex', 'intel-hex'],
      ['blinky.srec', 'srec'],
      ['blinky.elf', 'elf'],
      ['blinky.dfu', 'dfuse'],
      ['blinky-flash-suffix.bin', 'binary-dfu-suffix'],
      ['blinky-flash.bin', 'binary'],
    ];
    for (const [name, format] of cases) {
      expect(detectFormat(fixtureBytes(name)), name).toBe(format);
      expect(loadFirmware(fixtureBytes(name), { fileName: 'firmware.bin', baseAddress: blinky.flashStart }).format).toBe(format);
    }
  });

  it('reads a binary that happens to start with ":" or "S1" as a binary', () => {
    expect(detectFormat(Uint8Array.of(0x3a, 0x00, 0x00, 0x20))).toBe('binary');
    expect(detectFormat(Uint8Array.of(0x53, 0x31, 0xff, 0x20))).toBe('binary');
    expect(detectFormat(new TextEncoder().encode('\uFEFF\r\n  :00000001FF'))).toBe('intel-hex');
    expect(detectFormat(new TextEncoder().encode('s1030000FC'))).toBe('srec');
  });

  it('keeps entry addresses and reports the DfuSe identity and targets', () => {
    expect(loadFirmware(fixtureBytes('blinky.hex')).entryAddress).toBe(blinky.resetHandler);
    expect(loadFirmware(fixtureBytes('blinky.srec')).entryAddress).toBe(blinky.resetHandler);
    expect(loadFirmware(fixtureBytes('blinky.elf')).entryAddress).toBe(blinky.resetHandler);
    const segmentStart = loadFirmware(new TextEncoder().encode(':0400000312340010A3\n:00000001FF\n'));
    expect(segmentStart.entryAddress).toBe(0x12340 + 0x10);
    const dfu = loadFirmware(fixtureBytes('blinky.dfu'));
    expect(dfu.image.blocks).toEqual(flash.blocks);
    expect(dfu.targets?.map((t) => t.alternate)).toEqual([0, 2]);
    expect(dfu.dfu).toEqual({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0, bcdDfu: 0x011a });
    expect(dfu).not.toHaveProperty('entryAddress');
  });

  it('places a suffixed binary at the base address and keeps its identity', () => {
    const file = loadFirmware(fixtureBytes('blinky-flash-suffix.bin'), { baseAddress: blinky.flashStart });
    expect(file.image.blocks).toEqual(flash.blocks);
    expect(file.dfu).toEqual({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0xffff, bcdDfu: 0x0100 });
    expect(file.warnings).toEqual([]);
    const claimsDfuSe = addDfuSuffix(fixtureBytes('blinky-flash.bin'), { vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0, bcdDfu: 0x011a });
    expect(loadFirmware(claimsDfuSe, { baseAddress: 0x08000000 }).warnings).toEqual([expect.stringMatching(/no DfuSe prefix: read as a raw binary/)]);
  });

  it('reads a HEX file that dfu-suffix appended a suffix to', () => {
    const suffixed = addDfuSuffix(fixtureBytes('blinky.hex'), { vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200 });
    const file = loadFirmware(suffixed);
    expect(file.format).toBe('intel-hex');
    expect(file.image.blocks).toEqual(reference.blocks);
    expect(file.dfu?.bcdDevice).toBe(0x2200);
  });

  it('joins the targets of alt 0 and rejects two of them holding the same byte', () => {
    const a = MemoryImage.fromBytes(0x08000000, Uint8Array.of(1, 2));
    const b = MemoryImage.fromBytes(0x08000100, Uint8Array.of(3));
    const joined = loadFirmware(writeDfuFile({ targets: [{ alternate: 0, image: a }, { alternate: 1, image: b }, { alternate: 0, image: b }] }));
    expect(joined.image.blocks).toEqual(a.join(b).blocks);
    const info = errorInfo(() => loadFirmware(writeDfuFile({ targets: [{ alternate: 0, image: a }, { alternate: 0, image: a }] }), { fileName: 'x.dfu' }));
    expect(info).toMatchObject({ kind: 'image-format', format: 'dfuse', file: 'x.dfu', reason: 'target 0 (alt 0) and target 1 (alt 0) both hold 0x08000000' });
  });

  it('asks for a base address for raw binaries and rejects empty files', () => {
    expect(errorInfo(() => loadFirmware(fixtureBytes('blinky-flash.bin'), { fileName: 'app.bin' }))).toMatchObject({
      kind: 'invalid-argument',
      argument: 'baseAddress',
      reason: expect.stringMatching(/app\.bin is a raw binary/),
    });
    expect(errorInfo(() => loadFirmware(new Uint8Array(0), { fileName: 'e.hex' }))).toMatchObject({ kind: 'image-format', file: 'e.hex', reason: 'the file is empty' });
  });

  it('passes the file name into located errors', () => {
    expect(errorInfo(() => loadFirmware(new TextEncoder().encode(':0100000001FF\n'), { fileName: 'bad.hex' }))).toMatchObject({ format: 'intel-hex', file: 'bad.hex', line: 1 });
  });

  it('throws only DfuErrors on arbitrary bytes', () => {
    const prefixes = [[], [0x3a], [0x53, 0x33], [0x7f, 0x45, 0x4c, 0x46, 1, 1], [0x44, 0x66, 0x75, 0x53, 0x65, 1]];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (prefix, tail, suffixed) => {
        const body = Uint8Array.of(...prefix, ...tail);
        const bytes = suffixed ? addDfuSuffix(body, { vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0, bcdDfu: 0x011a }) : body;
        try {
          const file = loadFirmware(bytes, { baseAddress: 0x08000000 });
          expect(file.image.size).toBeLessThanOrEqual(bytes.length);
        } catch (error) {
          expect(error).toBeInstanceOf(DfuError);
          expect(['image-format', 'invalid-argument']).toContain((error as DfuError).info.kind);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('summarizeImage', () => {
  it('lists blocks with their CRC-32 and checks the vector table of real firmware', () => {
    const summary = summarizeImage(reference, { entryAddress: blinky.resetHandler });
    expect(summary.blocks).toEqual([
      { start: blinky.flashStart, end: blinky.flashStart + blinky.flashSize, size: blinky.flashSize, crc32: crc32(fixtureBytes('blinky-flash.bin')) },
      { start: blinky.eepromStart, end: blinky.eepromStart + blinky.eepromSize, size: blinky.eepromSize, crc32: crc32(fixtureBytes('blinky-eeprom.bin')) },
    ]);
    expect(summary.sizeBytes).toBe(blinky.flashSize + blinky.eepromSize);
    expect(summary.crc32).toBe(crc32(Uint8Array.of(...fixtureBytes('blinky-flash.bin'), ...fixtureBytes('blinky-eeprom.bin'))));
    expect(summary.vectorTable).toEqual({
      initialStackPointer: blinky.initialStackPointer,
      resetVector: blinky.resetHandler,
      isStackInRam: true,
      isResetInImage: true,
      hasThumbBit: true,
    });
    expect(summary.warnings).toEqual([]);
  });

  function vectors(sp: number, reset: number, extra = 8): MemoryImage {
    const data = new Uint8Array(8 + extra);
    new DataView(data.buffer).setUint32(0, sp, true);
    new DataView(data.buffer).setUint32(4, reset, true);
    return MemoryImage.fromBytes(0x08000000, data);
  }

  it('flags a stack outside SRAM, a missing Thumb bit, a reset vector outside the image and an entry mismatch', () => {
    const summary = summarizeImage(vectors(0x08000000, 0x08001000), { entryAddress: 0x08000009 });
    expect(summary.vectorTable).toMatchObject({ isStackInRam: false, hasThumbBit: false, isResetInImage: false });
    expect(summary.warnings).toEqual([
      'initial stack pointer 0x08000000 is not in SRAM: does the image start with a vector table?',
      'reset vector 0x08001000 lacks the Thumb bit (bit 0): the core would fault at reset',
      'reset vector 0x08001000 points outside the image',
      'entry address 0x08000009 differs from the reset vector 0x08001000',
    ]);
  });

  it('accepts stacks at the top of SRAM, in H7 AXI SRAM and in core-coupled RAM', () => {
    for (const sp of [0x20005000, 0x24080000, 0x10010000]) {
      expect(summarizeImage(vectors(sp, 0x08000009)).warnings, sp.toString(16)).toEqual([]);
    }
    expect(summarizeImage(vectors(0x20000000, 0x08000009)).vectorTable?.isStackInRam).toBe(false);
  });

  it('has no vector table for empty or tiny images', () => {
    expect(summarizeImage(MemoryImage.empty)).toEqual({ blocks: [], sizeBytes: 0, crc32: 0, warnings: [] });
    expect(summarizeImage(MemoryImage.fromBytes(0x08080000, Uint8Array.of(1, 2, 3, 4))).vectorTable).toBeUndefined();
  });
});
