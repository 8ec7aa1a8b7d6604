// The third-party corpus (core/testing/fixtures/firmware/README.md): files other projects wrote,
// read by the same rules as any user file, checked against what those projects say they hold.
import { readU32LE } from '../bytes.js';
import { errorInfo, fixtureBytes, fixtureText } from '../testing/fixtures/firmware/firmwareFixtures.js';
import { convertFirmware } from './convert.js';
import { parseDfuFile, writeDfuFile } from './dfuFile.js';
import { loadFirmware, type FirmwareFile } from './firmwareFile.js';

const bincopy = (name: string) => `third-party/bincopy/${name}`;
const fwupd = (name: string) => `third-party/fwupd/${name}`;

function load(path: string): FirmwareFile {
  return loadFirmware(fixtureBytes(path), { fileName: path.slice(path.lastIndexOf('/') + 1) });
}

/** Data bytes the S1/S2/S3 records of an S-record text hold, counted from the text itself. */
function srecDataBytes(text: string): number {
  let total = 0;
  for (const line of text.split(/\r?\n/)) {
    const type = /^S([123])([0-9A-F]{2})/i.exec(line);
    if (type) total += Number.parseInt(type[2]!, 16) - (Number(type[1]) + 1) - 1;
  }
  return total;
}

describe('third-party corpus', () => {
  it("reads Keil's armlink ELF exactly as bincopy's expected binary (RW data at its load address in flash)", () => {
    const file = load(bincopy('keil.out'));
    expect(file.format).toBe('elf');
    expect(file.warnings).toEqual([]);
    const expected = fixtureBytes(bincopy('keil.bin'));
    // readelf -l keil.out: the first PT_LOAD segment's physical address is 0x08000400.
    expect(file.image.start).toBe(0x08000400);
    expect(file.image.read({ start: file.image.start, end: file.image.start + expected.length }, 0xff)).toEqual(
      expected,
    );
    expect(file.image.end - file.image.start).toBe(expected.length);
  });

  it('reads the HEX and S-record versions of one program as the same image', () => {
    const hex = load(bincopy('empty_main.hex'));
    const srec = load(bincopy('empty_main.s19'));
    expect(hex.image.blocks).toEqual(srec.image.blocks);
    expect(hex.entryAddress).toBe(srec.entryAddress);
    expect(hex.image.size).toBe(srecDataBytes(fixtureText(bincopy('empty_main.s19'))));
  });

  it('reads short files, a padded S0 header and records out of address order', () => {
    expect(load(bincopy('in.hex')).image.size).toBe(64);
    const small = load(bincopy('in.s19'));
    expect(small.header).toBe('hello     ');
    expect(small.image.size).toBe(srecDataBytes(fixtureText(bincopy('in.s19'))));
    const unsorted = load(bincopy('non_sorted_segments.s19'));
    expect(unsorted.image.size).toBe(srecDataBytes(fixtureText(bincopy('non_sorted_segments.s19'))));
    expect(
      unsorted.image.blocks.every(
        (block, i, all) => i === 0 || block.start > all[i - 1]!.start + all[i - 1]!.data.length,
      ),
    ).toBe(true);
  });

  it('refuses the S-record with a wrong checksum, naming the line', () => {
    expect(errorInfo(() => load(bincopy('bad_crc.s19')))).toMatchObject({
      kind: 'image-format',
      format: 'srec',
      file: 'bad_crc.s19',
      line: 1,
      reason: 'checksum is 0x22, expected 0x25',
    });
  });

  it("reads fwupd's DfuSe files without a warning (DFUImageSize leaves the suffix out) and writes them back byte for byte", () => {
    for (const name of ['firmware.dfuse', 'example.dfuse']) {
      const bytes = fixtureBytes(fwupd(name));
      expect(readU32LE(bytes, 6), name).toBe(bytes.length - 16);
      // .dfuse names no format: the "DfuSe" prefix says what it is.
      const file = load(fwupd(name));
      expect(file.format, name).toBe('dfuse');
      expect(file.warnings, name).toEqual([]);
      expect(writeDfuFile(parseDfuFile(bytes)), name).toEqual(bytes);
    }
    const two = load(fwupd('firmware.dfuse'));
    expect(two.targets?.map((target) => [target.alternate, target.name, target.image.blocks.length])).toEqual([
      [0, 'one', 2],
      [0, 'two', 1],
    ]);
    expect(two.image.size).toBe(two.targets!.reduce((sum, target) => sum + target.image.size, 0));
    expect(two.dfu).toMatchObject({ vendorId: 0x1234, productId: 0x5678, bcdDevice: 0x8642 });
  });

  it("reads fwupd's srec_cat output that lacks a termination record, with a warning", () => {
    const file = load(fwupd('firmware.srec'));
    expect(file.warnings).toEqual(['no termination record (S7, S8 or S9): the file may be cut short']);
    expect(file.image.size).toBe(srecDataBytes(fixtureText(fwupd('firmware.srec'))));
  });

  it('converts every readable corpus file to each format and reads it back unchanged', () => {
    const files = [
      bincopy('keil.out'),
      bincopy('empty_main.hex'),
      bincopy('in.s19'),
      bincopy('non_sorted_segments.s19'),
      fwupd('firmware.dfuse'),
      fwupd('example.dfuse'),
      fwupd('firmware.srec'),
    ];
    for (const path of files) {
      const file = load(path);
      for (const format of ['intel-hex', 'srec', 'dfuse', 'binary'] as const) {
        const converted = convertFirmware(file, format, { fill: 0xff });
        const back = loadFirmware(converted.bytes, { format, baseAddress: converted.start });
        if (format === 'binary') {
          // Index of the first byte that differs (-1: none); toEqual on 2 MB arrays takes seconds.
          const span = { start: file.image.start, end: file.image.end };
          const got = back.image.read(span, 0xff);
          const want = file.image.read(span, 0xff);
          expect(got.length, `${path} -> ${format}`).toBe(want.length);
          expect(
            got.findIndex((value, i) => value !== want[i]),
            `${path} -> ${format}`,
          ).toBe(-1);
        } else expect(back.image.blocks, `${path} -> ${format}`).toEqual(file.image.blocks);
      }
    }
  });
});
