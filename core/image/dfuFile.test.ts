import fc from 'fast-check';
import { crc32Update, readU32LE, writeU32LE } from '../bytes.js';
import { DfuError } from '../errors.js';
import { blinky, errorInfo, fixtureBytes, fixtureText } from '../testing/fixtures/firmware/firmwareFixtures.js';
import { addDfuSuffix, hasDfuSuffix, parseDfuFile, readDfuSuffix, writeDfuFile } from './dfuFile.js';
import { parseIntelHex } from './intelHex.js';
import { MemoryImage } from './memoryImage.js';

const hexImage = parseIntelHex(fixtureText('blinky.hex')).image;
const flash = hexImage.slice({ start: blinky.flashStart, end: blinky.eepromStart });
const eeprom = hexImage.slice({ start: blinky.eepromStart, end: 0x1_0000_0000 });

/** Recomputes the suffix CRC after a test edits a file, so the edit reaches the parser proper. */
function withFixedCrc(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes);
  writeU32LE(out, out.length - 4, crc32Update(0xffffffff, out.subarray(0, out.length - 4)));
  return out;
}

describe('parseDfuFile', () => {
  it('reads dfuse-pack output: two targets with their alt settings, names and identity', () => {
    const file = parseDfuFile(fixtureBytes('blinky.dfu'));
    expect(file).toMatchObject({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x0000, bcdDfu: 0x011a, warnings: [] });
    expect(file.targets.map((t) => [t.alternate, t.name])).toEqual([
      [0, 'ST...'],
      [2, 'ST...'],
    ]);
    expect(file.targets[0]!.image.blocks).toEqual(flash.blocks);
    expect(file.targets[1]!.image.blocks).toEqual(eeprom.blocks);
  });

  it('reads one target holding two elements as a sparse image', () => {
    const file = parseDfuFile(fixtureBytes('blinky-one-target.dfu'));
    expect(file.targets).toHaveLength(1);
    expect(file.targets[0]!.image.blocks).toEqual(hexImage.blocks);
  });

  it('tolerates the old DFUImageSize that leaves out the suffix, with a warning', () => {
    const bytes = new Uint8Array(fixtureBytes('blinky.dfu'));
    writeU32LE(bytes, 6, bytes.length - 16);
    const file = parseDfuFile(withFixedCrc(bytes));
    expect(file.warnings).toEqual(['DFUImageSize leaves out the suffix (written by an older dfuse-pack); ignored']);
    expect(file.targets).toHaveLength(2);
  });

  it('warns about a wrong DFUImageSize, dwTargetSize, bcdDFU and trailing bytes but reads the elements', () => {
    const original = fixtureBytes('blinky.dfu');
    const bytes = new Uint8Array(original.length + 3);
    bytes.set(original.subarray(0, original.length - 16));
    bytes.set(original.subarray(original.length - 16), bytes.length - 16);
    writeU32LE(bytes, 6, 5);
    writeU32LE(bytes, 11 + 266, 7);
    bytes[bytes.length - 10] = 0x10;
    bytes[bytes.length - 9] = 0x01;
    const file = parseDfuFile(withFixedCrc(bytes));
    expect(file.warnings).toEqual([
      'suffix bcdDFU is 0x0110, DfuSe files use 0x011a',
      `DFUImageSize says 5 bytes but the file has ${bytes.length}; ignored`,
      'target 0: dwTargetSize says 7 bytes, its elements take 220',
      '3 bytes between the last target and the suffix were ignored',
    ]);
    expect(file.targets[1]!.image.blocks).toEqual(eeprom.blocks);
  });

  it('reads an unnamed target without a name', () => {
    const bytes = new Uint8Array(fixtureBytes('blinky.dfu'));
    writeU32LE(bytes, 11 + 7, 0);
    expect(parseDfuFile(withFixedCrc(bytes)).targets[0]).not.toHaveProperty('name');
  });

  describe('rejects, naming the file and byte offset', () => {
    const original = fixtureBytes('blinky.dfu');
    const edit = (change: (bytes: Uint8Array) => void, fixCrc = true) => () => {
      const bytes = new Uint8Array(original);
      change(bytes);
      return fixCrc ? withFixedCrc(bytes) : bytes;
    };
    const secondElementHeader = 11 + 274 + 8 + blinky.flashSize + 274;
    const cases: [string, () => Uint8Array, number, RegExp][] = [
      ['a missing signature', edit((b) => (b[0] = 0x64)), 0, /no "DfuSe" signature/],
      ['another version', edit((b) => (b[5] = 2)), 5, /DfuSe version 2/],
      ['a damaged byte (CRC mismatch)', edit((b) => (b[300] = b[300]! ^ 1), false), original.length - 4, /suffix CRC is 0x[0-9A-F]{8}, the file's is/],
      ['a missing suffix', () => original.subarray(0, original.length - 16), original.length - 24, /no DFU suffix/],
      ['a file too short for prefix and suffix', () => Uint8Array.of(...original.subarray(0, 11), ...new Uint8Array(10)), 21, /file is 21 bytes, too short for a DfuSe prefix and suffix/],
      ['a missing target signature', edit((b) => (b[11] = 0)), 11, /target 0: no "Target" signature/],
      ['more targets than the file holds', edit((b) => (b[10] = 3)), original.length - 16, /target 2 of 3: the file ends inside its 274-byte prefix/],
      ['an element larger than the file', edit((b) => writeU32LE(b, secondElementHeader + 4, 17)), secondElementHeader + 4, /element 0: 17 bytes at 0x08080000, but only 16 remain/],
      ['more elements than the file holds', edit((b) => writeU32LE(b, secondElementHeader - 4, 2)), secondElementHeader + 24, /target 1, element 1 of 2: the file ends inside its header/],
      ['an element past 0xFFFFFFFF', edit((b) => writeU32LE(b, secondElementHeader, 0xfffffff8)), secondElementHeader, /run past the end of the 32-bit address space/],
    ];
    it.each(cases)('%s', (_name, bytes, offset, reason) => {
      const info = errorInfo(() => parseDfuFile(bytes(), { file: 'app.dfu' }));
      expect(info).toMatchObject({ kind: 'image-format', format: 'dfuse', file: 'app.dfu', offset });
      expect(info.kind === 'image-format' && info.reason).toMatch(reason);
    });

    it('overlapping elements in one target, naming both', () => {
      const bytes = writeDfuFile({ targets: [{ alternate: 0, image: MemoryImage.fromBytes(0x100, new Uint8Array(8)) }] });
      // Grow to two elements by hand: the writer itself never produces overlaps.
      const element = Uint8Array.of(0x04, 0x01, 0, 0, 2, 0, 0, 0, 0xaa, 0xbb);
      const body = Uint8Array.of(...bytes.subarray(0, bytes.length - 16), ...element, ...bytes.subarray(bytes.length - 16));
      writeU32LE(body, 11 + 270, 2);
      writeU32LE(body, 11 + 266, readU32LE(body, 11 + 266) + element.length);
      const info = errorInfo(() => parseDfuFile(withFixedCrc(body)));
      expect(info).toMatchObject({ offset: 11, reason: 'target 0: element 0 (offset 285) and element 1 (offset 301) both hold 0x00000104' });
    });
  });
});

describe('writeDfuFile', () => {
  it('reproduces dfuse-pack output byte for byte', () => {
    for (const name of ['blinky.dfu', 'blinky-one-target.dfu']) {
      const original = fixtureBytes(name);
      const file = parseDfuFile(original);
      expect(writeDfuFile(file)).toEqual(original);
    }
  });

  it('defaults to ST identity, writes DFUImageSize with the suffix and leaves targets unnamed without a name', () => {
    const bytes = writeDfuFile({ targets: [{ alternate: 1, image: MemoryImage.fromBytes(0x1ff80000, Uint8Array.of(0xaa, 0x55)) }] });
    expect(readU32LE(bytes, 6)).toBe(bytes.length);
    const file = parseDfuFile(bytes);
    expect(file).toMatchObject({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0, bcdDfu: 0x011a, warnings: [] });
    expect(file.targets[0]).toEqual({ alternate: 1, image: MemoryImage.fromBytes(0x1ff80000, Uint8Array.of(0xaa, 0x55)) });
  });

  it('rejects values that do not fit their fields', () => {
    const image = MemoryImage.empty;
    expect(errorInfo(() => writeDfuFile({ targets: [{ alternate: 256, image }] }))).toMatchObject({ argument: 'alternate' });
    expect(errorInfo(() => writeDfuFile({ targets: [{ alternate: 0, name: 'x'.repeat(256), image }] }))).toMatchObject({ argument: 'name' });
    expect(errorInfo(() => writeDfuFile({ targets: [], vendorId: 0x10000 }))).toMatchObject({ argument: 'vendorId' });
    expect(errorInfo(() => writeDfuFile({ targets: Array.from({ length: 256 }, () => ({ alternate: 0, image })) }))).toMatchObject({ argument: 'targets' });
  });
});

describe('DFU suffix', () => {
  it('reads the suffix dfu-suffix added and returns the payload', () => {
    const bytes = fixtureBytes('blinky-flash-suffix.bin');
    expect(hasDfuSuffix(bytes)).toBe(true);
    const found = readDfuSuffix(bytes);
    expect(found?.suffix).toEqual({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0xffff, bcdDfu: 0x0100, length: 16 });
    expect(found?.payload).toEqual(fixtureBytes('blinky-flash.bin'));
  });

  it('writes the same bytes as dfu-suffix', () => {
    const payload = fixtureBytes('blinky-flash.bin');
    expect(addDfuSuffix(payload, { vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0xffff })).toEqual(fixtureBytes('blinky-flash-suffix.bin'));
  });

  it('returns undefined without a suffix and rejects a damaged one', () => {
    expect(readDfuSuffix(fixtureBytes('blinky-flash.bin'))).toBeUndefined();
    const damaged = new Uint8Array(fixtureBytes('blinky-flash-suffix.bin'));
    damaged[3] = damaged[3]! ^ 0xff;
    expect(errorInfo(() => readDfuSuffix(damaged, { file: 'a.bin' }))).toMatchObject({ kind: 'image-format', format: 'binary-dfu-suffix', file: 'a.bin', offset: damaged.length - 4 });
  });
});

const targetArbitrary = fc.record({
  alternate: fc.nat({ max: 255 }),
  name: fc.option(fc.string({ maxLength: 40, unit: 'grapheme-ascii' }).filter((s) => !s.includes('\0')), { nil: undefined }),
  blocks: fc.array(fc.record({ start: fc.nat({ max: 0xfffff000 }), data: fc.uint8Array({ minLength: 1, maxLength: 64 }) }), { maxLength: 4 }),
});

describe('.dfu properties', () => {
  it('round-trips dfu -> image -> dfu', () => {
    fc.assert(
      fc.property(fc.array(targetArbitrary, { maxLength: 4 }), fc.nat({ max: 0xffff }), (rawTargets, productId) => {
        const targets = rawTargets.map(({ alternate, name, blocks }) => {
          const image = MemoryImage.fromBlocks(blocks.filter((b, i) => blocks.every((o, j) => j >= i || b.start + b.data.length <= o.start || o.start + o.data.length <= b.start)));
          return name === undefined ? { alternate, image } : { alternate, name, image };
        });
        const bytes = writeDfuFile({ targets, productId });
        const file = parseDfuFile(bytes);
        expect(file.targets).toEqual(targets);
        expect(file.productId).toBe(productId);
        expect(writeDfuFile(file)).toEqual(bytes);
      }),
      { numRuns: 100 },
    );
  });

  it('throws only located image-format errors on mutated files, even with a valid CRC', () => {
    const original = fixtureBytes('blinky.dfu');
    const mutation = fc.record({ position: fc.nat({ max: original.length - 1 }), value: fc.nat({ max: 255 }), cut: fc.nat({ max: 40 }) });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean(), (mutations, fixCrc, truncate) => {
        let bytes: Uint8Array = new Uint8Array(original);
        for (const { position, value } of mutations) bytes[position] = value;
        if (truncate) bytes = Uint8Array.of(...bytes.subarray(0, 11 + mutations[0]!.cut * 10), ...bytes.subarray(-16));
        expectParsesOrLocatedError(fixCrc ? withFixedCrc(bytes) : bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('throws only located image-format errors on random bytes behind a DfuSe prefix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (tail) => {
        expectParsesOrLocatedError(withFixedCrc(Uint8Array.of(0x44, 0x66, 0x75, 0x53, 0x65, 1, ...tail, 0, 0, 0x11, 0xdf, 0x83, 0x04, 0x1a, 0x01, 0x55, 0x46, 0x44, 16, 0, 0, 0, 0)));
      }),
      { numRuns: 500 },
    );
  });
});

function expectParsesOrLocatedError(bytes: Uint8Array): void {
  try {
    const file = parseDfuFile(bytes, { file: 'fuzz.dfu' });
    expect(file.targets.reduce((sum, t) => sum + t.image.size, 0)).toBeLessThanOrEqual(bytes.length);
  } catch (error) {
    expect(error).toBeInstanceOf(DfuError);
    expect((error as DfuError).info).toMatchObject({ kind: 'image-format', format: 'dfuse', file: 'fuzz.dfu', offset: expect.any(Number) });
  }
}
