import fc from 'fast-check';
import { crc32 } from '../bytes.js';
import { DfuError } from '../errors.js';
import { xorshiftBytes } from '../simulator/pseudoRandom.js';
import { blinky, errorInfo, fixtureBytes, fixtureText } from '../testing/fixtures/firmware/firmwareFixtures.js';
import { addDfuSuffix, writeDfuFile } from './dfuFile.js';
import { decideFormat, loadFirmware, summarizeImage } from './firmwareFile.js';
import { MemoryImage } from './memoryImage.js';

const reference = loadFirmware(fixtureBytes('blinky.hex')).image;
const flash = reference.slice({ start: blinky.flashStart, end: blinky.eepromStart });

describe('loadFirmware', () => {
  it('decodes every fixture format to the same image', () => {
    const sparse = ['blinky.hex', 'blinky-32.hex', 'blinky.srec', 'blinky.elf', 'blinky-one-target.dfu', 'blinky.dfu'];
    for (const name of sparse)
      expect(loadFirmware(fixtureBytes(name), { fileName: name }).image.blocks, name).toEqual(reference.blocks);
    const binaries = loadFirmware(fixtureBytes('blinky-flash.bin'), {
      fileName: 'blinky-flash.bin',
      baseAddress: blinky.flashStart,
    }).image.join(
      loadFirmware(fixtureBytes('blinky-eeprom.bin'), {
        fileName: 'blinky-eeprom.bin',
        baseAddress: blinky.eepromStart,
      }).image,
    );
    expect(binaries.blocks).toEqual(reference.blocks);
  });

  it('reads each file as the format its extension names', () => {
    const cases: [string, string, string][] = [
      ['blinky.hex', 'firmware.hex', 'intel-hex'],
      ['blinky.hex', 'FIRMWARE.IHX', 'intel-hex'],
      ['blinky.hex', 'firmware.ihex', 'intel-hex'],
      ['blinky.srec', 'app.s19', 'srec'],
      ['blinky.srec', 'app.s28', 'srec'],
      ['blinky.srec', 'app.s37', 'srec'],
      ['blinky.srec', 'app.mot', 'srec'],
      ['blinky.srec', 'app.srec', 'srec'],
      ['blinky.elf', 'app.axf', 'elf'],
      ['blinky.elf', 'app.out', 'elf'],
      ['blinky.elf', 'app.elf', 'elf'],
      ['blinky.dfu', 'app.dfu', 'dfuse'],
      ['blinky-flash-suffix.bin', 'app.dfu', 'binary-dfu-suffix'],
      ['blinky-flash-suffix.bin', 'app.bin', 'binary-dfu-suffix'],
      ['blinky-flash.bin', 'app.bin', 'binary'],
    ];
    for (const [fixture, fileName, format] of cases) {
      expect(decideFormat(fixtureBytes(fixture), { fileName }).format, `${fixture} as ${fileName}`).toBe(format);
      expect(loadFirmware(fixtureBytes(fixture), { fileName, baseAddress: blinky.flashStart }).format).toBe(format);
    }
  });

  it('refuses content that does not match the extension, saying what it is and where', () => {
    const text = (value: string) => new TextEncoder().encode(value);
    const cases: [string, Uint8Array, Record<string, unknown>, RegExp][] = [
      [
        'firmware.hex',
        text('<!DOCTYPE html>\n<html><body>Firmware</body></html>\n'),
        { format: 'intel-hex', line: 1 },
        /^not Intel HEX: it is text, not records: "<!DOCTYPE html>"$/,
      ],
      [
        'firmware.hex',
        text('# built by CI, do not edit\n:00000001FF\n'),
        { format: 'intel-hex', line: 1 },
        /^not Intel HEX: it is text, not records: "# built by CI, do not edit"$/,
      ],
      ['firmware.hex', text('\n\n  \n'), { format: 'intel-hex' }, /^not Intel HEX: it holds only blank lines$/],
      [
        'firmware.hex',
        fixtureBytes('blinky.elf'),
        { format: 'intel-hex', offset: 0 },
        /^not Intel HEX: it is an ELF file .*; rename it to \.elf, or name the format \(--format elf\)$/,
      ],
      [
        'firmware.hex',
        fixtureBytes('blinky.srec'),
        { format: 'intel-hex' },
        /^not Intel HEX: it holds S-records; rename it to \.srec, or name the format \(--format srec\)$/,
      ],
      [
        'firmware.hex',
        fixtureBytes('blinky-flash.bin'),
        { format: 'intel-hex', offset: 0 },
        /^not Intel HEX: byte 0x00 at offset 0 is not text$/,
      ],
      [
        'app.srec',
        fixtureBytes('blinky.hex'),
        { format: 'srec' },
        /^not Motorola S-record: it holds Intel HEX records; rename it to \.hex/,
      ],
      ['app.elf', fixtureBytes('blinky.hex'), { format: 'elf' }, /^not ELF: it holds Intel HEX records/],
      [
        'app.dfu',
        fixtureBytes('blinky.hex'),
        { format: 'dfuse' },
        /^not a DfuSe file: no "DfuSe" prefix and no DFU suffix; it holds Intel HEX records/,
      ],
      [
        'app.dfu',
        fixtureBytes('blinky-flash.bin'),
        { format: 'dfuse', offset: 0 },
        /^not a DfuSe file: no "DfuSe" prefix and no DFU suffix; byte 0x00 at offset 0/,
      ],
      [
        'app.bin',
        fixtureBytes('blinky.hex'),
        { format: 'binary' },
        /^not a raw binary: it holds Intel HEX records; rename it to \.hex/,
      ],
      ['app.bin', fixtureBytes('blinky.dfu'), { format: 'binary', offset: 0 }, /^not a raw binary: it is a DfuSe file/],
      [
        'app.bin',
        text('just some notes\n'),
        { format: 'binary', line: 1 },
        /^not a raw binary: it is text, not records: "just some notes"$/,
      ],
    ];
    for (const [fileName, bytes, where, reason] of cases) {
      const info = errorInfo(() => loadFirmware(bytes, { fileName, baseAddress: blinky.flashStart }));
      expect(info, fileName).toMatchObject({ kind: 'image-format', file: fileName, ...where });
      expect(info.kind === 'image-format' && info.reason, `${fileName}: ${String(reason)}`).toMatch(reason);
    }
  });

  it('refuses UTF-16 text, with or without a byte-order mark, in either byte order', () => {
    const hexText = fixtureText('blinky.hex');
    const utf16 = (bom: boolean, big: boolean) => {
      const out = new Uint8Array((hexText.length + (bom ? 1 : 0)) * 2);
      const chars = (bom ? '\ufeff' : '') + hexText;
      for (let i = 0; i < chars.length; i++) {
        const code = chars.charCodeAt(i);
        out[2 * i + (big ? 1 : 0)] = code & 0xff;
        out[2 * i + (big ? 0 : 1)] = code >> 8;
      }
      return out;
    };
    for (const [bom, big] of [
      [true, false],
      [false, false],
      [true, true],
      [false, true],
    ] as const) {
      const info = errorInfo(() => loadFirmware(utf16(bom, big), { fileName: 'firmware.hex' }));
      expect(info).toMatchObject({ kind: 'image-format', format: 'intel-hex', file: 'firmware.hex', offset: 0 });
      expect(info.kind === 'image-format' && info.reason).toBe(
        `not Intel HEX: it looks like UTF-16 text (${big ? 'big' : 'little'}-endian, what a Windows shell redirect or some editors write): save it as ASCII or UTF-8`,
      );
    }
  });

  it('never reads text or random bytes under a firmware or unknown name as a raw binary', () => {
    const random = xorshiftBytes(5 * 1024 * 1024, 7);
    for (const fileName of ['garbage.hex', 'garbage.srec', 'garbage.elf', 'garbage.dfu']) {
      const refused = errorInfo(() => loadFirmware(random, { fileName, baseAddress: blinky.flashStart }));
      expect(refused.kind, fileName).toBe('image-format');
      // The extension names a format: renaming, not reading it as a raw binary, is the way out.
      expect(refused).not.toHaveProperty('couldBeRawBinary');
    }
    for (const fileName of ['notes.txt', 'index.html', 'firmware', 'image.img']) {
      const info = errorInfo(() =>
        loadFirmware(new TextEncoder().encode('Release notes\n- fixed the LED\n'), {
          fileName,
          baseAddress: blinky.flashStart,
        }),
      );
      expect(info, fileName).toMatchObject({ kind: 'image-format', format: 'file', file: fileName, line: 1 });
      expect(info.kind === 'image-format' && info.reason).toMatch(
        /content is not Intel HEX, S-records, ELF or DfuSe: it is text, not records: "Release notes"; text is never flashed as firmware$/,
      );
      const binary = errorInfo(() => loadFirmware(random, { fileName, baseAddress: blinky.flashStart }));
      expect(binary.kind === 'image-format' && binary.reason).toMatch(
        /if it is a raw binary, rename it to .bin or say so \(--format bin\), and give the address it belongs at$/,
      );
      // Only binary content is flagged as one the user could read as a raw binary; text never is.
      expect(binary).toMatchObject({ couldBeRawBinary: true });
      expect(info).not.toHaveProperty('couldBeRawBinary');
    }
  });

  it('reads self-describing content under an unknown name, and a raw binary only when asked', () => {
    expect(loadFirmware(fixtureBytes('blinky.hex'), { fileName: 'firmware.txt' }).format).toBe('intel-hex');
    expect(loadFirmware(fixtureBytes('blinky.elf'), { fileName: 'firmware' }).format).toBe('elf');
    expect(loadFirmware(fixtureBytes('blinky.dfu'), { fileName: 'firmware.dfuse' }).format).toBe('dfuse');
    expect(loadFirmware(fixtureBytes('blinky.srec'), {}).format).toBe('srec');
    expect(
      loadFirmware(fixtureBytes('blinky-flash-suffix.bin'), { fileName: 'fw.img', baseAddress: blinky.flashStart })
        .format,
    ).toBe('binary-dfu-suffix');
    expect(
      errorInfo(() =>
        loadFirmware(fixtureBytes('blinky-flash.bin'), { fileName: 'fw.img', baseAddress: blinky.flashStart }),
      ),
    ).toMatchObject({ format: 'file', offset: 0 });
    const asked = loadFirmware(fixtureBytes('blinky-flash.bin'), {
      fileName: 'fw.img',
      format: 'binary',
      baseAddress: blinky.flashStart,
    });
    expect(asked.image.blocks).toEqual(flash.blocks);
    expect(asked.warnings).toEqual([]);
  });

  it('follows an explicit format over the extension, and warns when it overrides what the content says', () => {
    expect(
      loadFirmware(fixtureBytes('blinky.hex'), { fileName: 'firmware.bin', format: 'intel-hex' }).image.blocks,
    ).toEqual(reference.blocks);
    const asBinary = loadFirmware(fixtureBytes('blinky.hex'), {
      fileName: 'firmware.hex',
      format: 'binary',
      baseAddress: 0x20000000,
    });
    expect(asBinary.format).toBe('binary');
    expect(asBinary.image.size).toBe(fixtureBytes('blinky.hex').length);
    expect(asBinary.warnings).toEqual(['read as a raw binary, as asked, although it holds Intel HEX records']);
    expect(
      errorInfo(() => loadFirmware(fixtureBytes('blinky.elf'), { fileName: 'firmware.elf', format: 'intel-hex' })),
    ).toMatchObject({ format: 'intel-hex', offset: 0 });
  });

  it('keeps entry addresses and reports the DfuSe identity and every target', () => {
    expect(loadFirmware(fixtureBytes('blinky.hex'), { fileName: 'a.hex' }).entryAddress).toBe(blinky.resetHandler);
    expect(loadFirmware(fixtureBytes('blinky.srec'), { fileName: 'a.srec' }).entryAddress).toBe(blinky.resetHandler);
    expect(loadFirmware(fixtureBytes('blinky.elf'), { fileName: 'a.elf' }).entryAddress).toBe(blinky.resetHandler);
    const segmentStart = loadFirmware(new TextEncoder().encode(':0400000312340010A3\n:00000001FF\n'), {
      fileName: 'a.hex',
    });
    expect(segmentStart.entryAddress).toBe(0x12340 + 0x10);
    const dfu = loadFirmware(fixtureBytes('blinky.dfu'), { fileName: 'a.dfu' });
    // Every target is in the image: flash (alt 0) and the EEPROM record (alt 2).
    expect(dfu.image.blocks).toEqual(reference.blocks);
    expect(dfu.targets?.map((t) => t.alternate)).toEqual([0, 2]);
    expect(dfu.dfu).toEqual({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0, bcdDfu: 0x011a });
    expect(dfu).not.toHaveProperty('entryAddress');
    expect(loadFirmware(fixtureBytes('blinky.srec'), { fileName: 'a.srec' }).header).toBe(
      'http://srecord.sourceforge.net/',
    );
  });

  it('places a suffixed binary at the base address and keeps its identity', () => {
    const file = loadFirmware(fixtureBytes('blinky-flash-suffix.bin'), {
      fileName: 'app.bin',
      baseAddress: blinky.flashStart,
    });
    expect(file.image.blocks).toEqual(flash.blocks);
    expect(file.dfu).toEqual({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0xffff, bcdDfu: 0x0100 });
    expect(file.warnings).toEqual([]);
    const claimsDfuSe = addDfuSuffix(fixtureBytes('blinky-flash.bin'), {
      vendorId: 0x0483,
      productId: 0xdf11,
      bcdDevice: 0,
      bcdDfu: 0x011a,
    });
    expect(loadFirmware(claimsDfuSe, { fileName: 'app.bin', baseAddress: 0x08000000 }).warnings).toEqual([
      expect.stringMatching(/no DfuSe prefix: read as a raw binary/),
    ]);
  });

  it('reads a HEX file that dfu-suffix appended a suffix to', () => {
    const suffixed = addDfuSuffix(fixtureBytes('blinky.hex'), {
      vendorId: 0x0483,
      productId: 0xdf11,
      bcdDevice: 0x2200,
    });
    const file = loadFirmware(suffixed, { fileName: 'app.hex' });
    expect(file.format).toBe('intel-hex');
    expect(file.image.blocks).toEqual(reference.blocks);
    expect(file.dfu?.bcdDevice).toBe(0x2200);
  });

  it('joins the targets of every alt setting and rejects two of them holding the same byte', () => {
    const a = MemoryImage.fromBytes(0x08000000, Uint8Array.of(1, 2));
    const b = MemoryImage.fromBytes(0x08000100, Uint8Array.of(3));
    const c = MemoryImage.fromBytes(0x08080000, Uint8Array.of(4));
    const joined = loadFirmware(
      writeDfuFile({
        targets: [
          { alternate: 0, image: a },
          { alternate: 2, image: c },
          { alternate: 0, image: b },
        ],
      }),
      { fileName: 'x.dfu' },
    );
    expect(joined.image.blocks).toEqual(a.join(b).join(c).blocks);
    expect(
      errorInfo(() =>
        loadFirmware(
          writeDfuFile({
            targets: [
              { alternate: 0, image: a },
              { alternate: 1, image: a },
            ],
          }),
          { fileName: 'x.dfu' },
        ),
      ),
    ).toMatchObject({
      reason: 'target 0 (alt 0) and target 1 (alt 1) both hold 0x08000000',
    });
    const info = errorInfo(() =>
      loadFirmware(
        writeDfuFile({
          targets: [
            { alternate: 0, image: a },
            { alternate: 0, image: a },
          ],
        }),
        { fileName: 'x.dfu' },
      ),
    );
    expect(info).toMatchObject({
      kind: 'image-format',
      format: 'dfuse',
      file: 'x.dfu',
      reason: 'target 0 (alt 0) and target 1 (alt 0) both hold 0x08000000',
    });
  });

  it('asks for a base address for raw binaries and rejects empty files', () => {
    expect(errorInfo(() => loadFirmware(fixtureBytes('blinky-flash.bin'), { fileName: 'app.bin' }))).toMatchObject({
      kind: 'invalid-argument',
      argument: 'baseAddress',
      reason: expect.stringMatching(/app\.bin is a raw binary/),
    });
    expect(errorInfo(() => loadFirmware(new Uint8Array(0), { fileName: 'e.hex' }))).toMatchObject({
      kind: 'image-format',
      format: 'intel-hex',
      file: 'e.hex',
      reason: 'the file is empty',
    });
    expect(
      errorInfo(() => loadFirmware(new Uint8Array(64 * 1024 * 1024 + 1), { fileName: 'huge.bin', baseAddress: 0 })),
    ).toMatchObject({
      kind: 'image-format',
      file: 'huge.bin',
      reason: '67,108,865 bytes, more than any firmware file (limit 67,108,864)',
    });
  });

  it('passes the file name into located errors', () => {
    expect(
      errorInfo(() => loadFirmware(new TextEncoder().encode(':0100000001FF\n'), { fileName: 'bad.hex' })),
    ).toMatchObject({ format: 'intel-hex', file: 'bad.hex', line: 1 });
  });

  it('on any bytes, name and format: only located DfuErrors, and a raw binary only where the rules allow one', () => {
    const prefixes = [
      [],
      [0x3a],
      [0x3a, 0x30],
      [0x53, 0x33],
      [0x53, 0x31, 0x30],
      [0x7f, 0x45, 0x4c, 0x46, 1, 1],
      [0x44, 0x66, 0x75, 0x53, 0x65, 1],
      [0xff, 0xfe],
      [0x3c, 0x21],
    ];
    const names = [
      'a.hex',
      'a.ihx',
      'a.srec',
      'a.s19',
      'a.elf',
      'a.axf',
      'a.dfu',
      'a.bin',
      'a.txt',
      'a',
      'a.HEX',
      undefined,
    ];
    const formats = [undefined, 'intel-hex', 'srec', 'elf', 'dfuse', 'binary'] as const;
    const textual = fc
      .string({ unit: fc.constantFrom(...':S0123456789ABCDEF# <>\r\n'.split('')), maxLength: 200 })
      .map((text) => new TextEncoder().encode(text));
    fc.assert(
      fc.property(
        fc.constantFrom(...prefixes),
        fc.oneof(fc.uint8Array({ maxLength: 300 }), textual),
        fc.boolean(),
        fc.constantFrom(...names),
        fc.constantFrom(...formats),
        (prefix, tail, suffixed, fileName, format) => {
          const body = Uint8Array.of(...prefix, ...tail);
          const bytes = suffixed
            ? addDfuSuffix(body, { vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0, bcdDfu: 0x011a })
            : body;
          const options = {
            baseAddress: 0x08000000,
            ...(fileName !== undefined && { fileName }),
            ...(format !== undefined && { format }),
          };
          try {
            const file = loadFirmware(bytes, options);
            expect(file.image.size).toBeLessThanOrEqual(bytes.length);
            if (file.format === 'binary' || file.format === 'binary-dfu-suffix') {
              const extension = fileName?.toLowerCase().slice(fileName.lastIndexOf('.'));
              const allowed =
                format === 'binary' ||
                (format === 'dfuse' && file.format === 'binary-dfu-suffix') ||
                (format === undefined &&
                  (extension === '.bin' ||
                    (file.format === 'binary-dfu-suffix' &&
                      !['.hex', '.ihx', '.srec', '.s19', '.elf', '.axf'].includes(extension ?? ''))));
              expect(allowed, `${fileName} as ${format}: ${file.format}`).toBe(true);
              // Text is read as a raw binary only when the user says so.
              if (bytes.every((value) => value >= 0x20 || value === 0x0a || value === 0x0d))
                expect(format).toBe('binary');
            }
          } catch (error) {
            expect(error).toBeInstanceOf(DfuError);
            const info = (error as DfuError).info;
            expect(['image-format', 'invalid-argument']).toContain(info.kind);
            if (info.kind === 'image-format' && fileName !== undefined) expect(info.file).toBe(fileName);
          }
        },
      ),
      { numRuns: 3000 },
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
