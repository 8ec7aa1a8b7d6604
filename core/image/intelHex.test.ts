import fc from 'fast-check';
import { DfuError } from '../errors.js';
import { blinky, errorInfo, fixtureText } from '../testing/fixtures/firmware/firmwareFixtures.js';
import { parseIntelHex, writeIntelHex } from './intelHex.js';
import { MemoryImage } from './memoryImage.js';

/** Builds one record with a correct checksum, so each test states only what it is about. */
function record(type: number, offset: number, data: number[]): string {
  const bytes = [data.length, offset >> 8, offset & 0xff, type, ...data];
  const checksum = -bytes.reduce((sum, value) => sum + value, 0) & 0xff;
  return `:${[...bytes, checksum].map((value) => value.toString(16).toUpperCase().padStart(2, '0')).join('')}`;
}

const EOF = ':00000001FF';

function lines(...records: string[]): string {
  return records.join('\n');
}

describe('parseIntelHex', () => {
  it('reads objcopy output: two sparse blocks and the start address', () => {
    const { image, startAddress } = parseIntelHex(fixtureText('blinky.hex'));
    expect(image.ranges).toEqual([
      { start: blinky.flashStart, end: blinky.flashStart + blinky.flashSize },
      { start: blinky.eepromStart, end: blinky.eepromStart + blinky.eepromSize },
    ]);
    expect(image.size).toBe(blinky.flashSize + blinky.eepromSize);
    expect(Array.from(image.read({ start: 0x08000000, end: 0x08000008 }, 0))).toEqual([0x00, 0x50, 0x00, 0x20, 0x43, 0x00, 0x00, 0x08]);
    expect(startAddress).toEqual({ kind: 'linear', address: blinky.resetHandler });
  });

  it('reads srec_cat output (LF, 32-byte records) as the same image', () => {
    const a = parseIntelHex(fixtureText('blinky.hex'));
    const b = parseIntelHex(fixtureText('blinky-32.hex'));
    expect(b.image.blocks).toEqual(a.image.blocks);
    expect(b.startAddress).toEqual(a.startAddress);
  });

  it('accepts LF, CR and CRLF line ends, lower-case digits, blank lines and surrounding blanks', () => {
    const reference = parseIntelHex(fixtureText('blinky.hex')).image;
    const records = fixtureText('blinky.hex').split('\r\n').filter(Boolean);
    for (const eol of ['\n', '\r', '\r\n']) {
      expect(parseIntelHex(records.join(eol)).image.blocks).toEqual(reference.blocks);
    }
    expect(parseIntelHex(records.map((r) => r.toLowerCase()).join('\n')).image.blocks).toEqual(reference.blocks);
    expect(parseIntelHex(`\uFEFF\n\n  ${records.join(' \t\n\n')}\n\n`).image.blocks).toEqual(reference.blocks);
  });

  it('applies extended segment addresses (type 02) and keeps a CS:IP start address (type 03)', () => {
    const { image, startAddress } = parseIntelHex(
      lines(record(2, 0, [0x12, 0x34]), record(0, 0x0010, [1, 2, 3]), record(3, 0, [0x12, 0x34, 0x00, 0x10]), EOF),
    );
    expect(image.ranges).toEqual([{ start: 0x12340 + 0x10, end: 0x12340 + 0x13 }]);
    expect(startAddress).toEqual({ kind: 'segment', cs: 0x1234, ip: 0x0010 });
  });

  it('applies extended linear addresses (type 04) up to the top of the address space', () => {
    const { image } = parseIntelHex(lines(record(4, 0, [0xff, 0xff]), record(0, 0xfffe, [0xaa, 0xbb]), EOF));
    expect(image.ranges).toEqual([{ start: 0xfffffffe, end: 0x1_0000_0000 }]);
  });

  it('continues a record that crosses a 64 KiB boundary linearly with type 04 addresses or none', () => {
    const { image } = parseIntelHex(lines(record(4, 0, [0x08, 0x00]), record(0, 0xfffe, [1, 2, 3, 4]), EOF));
    expect(image.ranges).toEqual([{ start: 0x0800fffe, end: 0x08010002 }]);
    expect(parseIntelHex(lines(record(0, 0xfffe, [1, 2, 3, 4]), EOF)).image.ranges).toEqual([{ start: 0xfffe, end: 0x10002 }]);
  });

  it('wraps a record that runs past its segment end back to the segment start (type 02), as Intel and srec_cat say', () => {
    // SBA 0x1000: the segment is 0x10000..0x1FFFF; bytes 5..8 of a record at offset 0xFFFC land at 0x10000.
    const { image } = parseIntelHex(lines(record(2, 0, [0x10, 0x00]), record(0, 0xfffc, [1, 2, 3, 4, 5, 6, 7, 8]), EOF));
    expect(image.blocks).toEqual([
      { start: 0x10000, data: Uint8Array.of(5, 6, 7, 8) },
      { start: 0x1fffc, data: Uint8Array.of(1, 2, 3, 4) },
    ]);
    // A type 04 record ends segment addressing: the next record continues linearly again.
    const linear = parseIntelHex(lines(record(2, 0, [0x10, 0x00]), record(4, 0, [0x00, 0x02]), record(0, 0xfffe, [1, 2, 3]), EOF));
    expect(linear.image.ranges).toEqual([{ start: 0x2fffe, end: 0x30001 }]);
  });

  it('names both lines when wrapped bytes land on bytes another record holds', () => {
    const info = errorInfo(() => parseIntelHex(lines(record(2, 0, [0x10, 0x00]), record(0, 0x0000, [9]), record(0, 0xffff, [1, 2]), EOF), { file: 'seg.hex' }));
    expect(info).toMatchObject({ format: 'intel-hex', file: 'seg.hex', line: 3, reason: '0x00010000 is defined twice: on line 2 and on line 3' });
  });

  it('refuses more separate address ranges than an image may hold, naming the line', () => {
    const records = [record(4, 0, [0x08, 0x00])];
    for (let i = 0; i <= 262_144; i++) {
      if (i % 0x8000 === 0) records.push(record(4, 0, [0x08, (i / 0x8000) & 0xff]));
      records.push(record(0, (2 * i) & 0xffff, [1]));
    }
    const info = errorInfo(() => parseIntelHex([...records, EOF].join('\n'), { file: 'dust.hex' }));
    expect(info).toMatchObject({ kind: 'image-format', format: 'intel-hex', file: 'dust.hex', line: records.length });
    expect(info.kind === 'image-format' && info.reason).toMatch(/^more than 262,144 separate address ranges/);
  });

  it('merges records given out of order and skips empty data records', () => {
    const { image } = parseIntelHex(lines(record(0, 4, [5, 6]), record(0, 0, [1, 2, 3, 4]), record(0, 9, []), EOF));
    expect(image.blocks).toEqual([{ start: 0, data: Uint8Array.of(1, 2, 3, 4, 5, 6) }]);
  });

  it('accepts a repeated identical start address', () => {
    const start = record(5, 0, [0x08, 0, 0, 0x41]);
    expect(parseIntelHex(lines(start, start, EOF)).startAddress).toEqual({ kind: 'linear', address: 0x08000041 });
  });

  describe('rejects, naming the file and line', () => {
    const cases: [string, string, number, RegExp][] = [
      ['a missing end-of-file record', lines(record(0, 0, [1]), record(0, 1, [2])), 2, /missing end-of-file/],
      ['an empty file', '', 1, /missing end-of-file/],
      ['data after the end-of-file record', lines(EOF, '', record(0, 0, [1])), 3, /after the end-of-file record on line 1/],
      ['a wrong checksum', lines(':0100000001FF', EOF), 1, /checksum is 0xFF, expected 0xFE/],
      ['a non-hex character', lines(':01000000G1FE', EOF), 1, /'G' at column 10 is not a hex digit/],
      ['a record cut short', lines(':10000000010203', EOF), 1, /cut short: 15 characters, its byte count needs 43/],
      ['a record cut short at the end of the file', ':1000', 1, /cut short/],
      ['a record longer than its byte count', lines(`${record(0, 0, [1])}00`, EOF), 1, /longer than its byte count \(1\)/],
      ['junk after a record', lines(`${record(0, 0, [1])} x`, EOF), 1, /unexpected 'x' at column 15/],
      ['a line without a colon', lines(record(0, 0, [1]), '0100000001FE', EOF), 2, /expected ':' at column 1/],
      ['an unknown record type', lines(record(6, 0, []), EOF), 1, /unknown record type 0x06/],
      ['an end-of-file record with data', lines(record(1, 0, [0])), 1, /end-of-file record has 1 data bytes/],
      ['an extended address with the wrong length', lines(record(4, 0, [8]), EOF), 1, /type 0x04 has 1 data bytes, expected 2/],
      ['an extended address with a load offset', lines(record(2, 0x10, [0, 1]), EOF), 1, /load offset 0x10/],
      ['a start address with the wrong length', lines(record(5, 0, [8, 0]), EOF), 1, /type 0x05 has 2 data bytes, expected 4/],
      ['two different start addresses', lines(record(5, 0, [8, 0, 0, 1]), record(5, 0, [8, 0, 0, 3]), EOF), 2, /first is on line 1/],
      ['data wrapping past 0xFFFFFFFF', lines(record(4, 0, [0xff, 0xff]), record(0, 0xffff, [1, 2]), EOF), 2, /2 bytes at 0xFFFFFFFF run past/],
      ['a duplicated record', lines(record(0, 0, [1, 2]), record(0, 2, [3]), record(0, 0, [1, 2]), EOF), 3, /0x00000000 is defined twice: on line 1 and on line 3/],
      ['a partial overlap out of order', lines(record(0, 8, [1, 2, 3, 4]), record(0, 0, [9]), record(0, 6, [1, 2, 3]), EOF), 3, /0x00000008 is defined twice: on line 1 and on line 3/],
    ];
    it.each(cases)('%s', (_name, text, line, reason) => {
      const info = errorInfo(() => parseIntelHex(text, { file: 'app.hex' }));
      expect(info).toMatchObject({ kind: 'image-format', format: 'intel-hex', file: 'app.hex', line });
      expect(info.kind === 'image-format' && info.reason).toMatch(reason);
    });
  });

  it('names the overlap across extended address records by absolute address', () => {
    const text = lines(record(4, 0, [0x08, 0]), record(0, 0x10, [1]), record(4, 0, [0x08, 1]), record(4, 0, [0x08, 0]), record(0, 0x10, [2]), EOF);
    const info = errorInfo(() => parseIntelHex(text));
    expect(info).toMatchObject({ line: 5, reason: '0x08000010 is defined twice: on line 2 and on line 5' });
  });
});

describe('writeIntelHex', () => {
  it('reproduces objcopy output byte for byte', () => {
    const text = fixtureText('blinky.hex');
    const { image, startAddress } = parseIntelHex(text);
    expect(writeIntelHex(image, { startAddress })).toBe(text);
  });

  it('reproduces srec_cat output with 32-byte records and LF', () => {
    const text = fixtureText('blinky-32.hex');
    const { image, startAddress } = parseIntelHex(text);
    expect(writeIntelHex(image, { startAddress, bytesPerRecord: 32, lineEnding: '\n' })).toBe(text);
  });

  it('splits records at 64 KiB boundaries and writes a segment start address', () => {
    const image = MemoryImage.fromBytes(0x0800fffc, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    const text = writeIntelHex(image, { lineEnding: '\n', startAddress: { kind: 'segment', cs: 0x1234, ip: 0x5678 } });
    expect(text.split('\n')).toEqual([
      record(4, 0, [0x08, 0x00]),
      record(0, 0xfffc, [1, 2, 3, 4]),
      record(4, 0, [0x08, 0x01]),
      record(0, 0, [5, 6, 7, 8]),
      record(3, 0, [0x12, 0x34, 0x56, 0x78]),
      EOF,
      '',
    ]);
  });

  it('writes an empty image as just the end-of-file record', () => {
    expect(writeIntelHex(MemoryImage.empty)).toBe(`${EOF}\r\n`);
  });

  it('refuses a record size outside 1..255', () => {
    for (const bytesPerRecord of [0, 256, 1.5]) {
      expect(errorInfo(() => writeIntelHex(MemoryImage.empty, { bytesPerRecord }))).toMatchObject({ kind: 'invalid-argument', argument: 'bytesPerRecord' });
    }
  });
});

/** Random sparse images: a few blocks anywhere in the 32-bit space, often near 64 KiB boundaries. */
const imageArbitrary = fc
  .array(
    fc.record({
      start: fc.oneof(fc.nat({ max: 0xffffffff }), fc.integer({ min: 1, max: 0xffff }).map((n) => n * 0x10000 - 7)),
      data: fc.uint8Array({ minLength: 1, maxLength: 300 }),
    }),
    { maxLength: 5 },
  )
  .map((blocks) => {
    const kept: { start: number; data: Uint8Array }[] = [];
    for (const raw of blocks) {
      const block = { start: raw.start, data: raw.data.subarray(0, Math.max(1, 0x1_0000_0000 - raw.start)) };
      const end = block.start + block.data.length;
      if (kept.every((other) => end <= other.start || other.start + other.data.length <= block.start)) kept.push(block);
    }
    return MemoryImage.fromBlocks(kept);
  });

describe('Intel HEX properties', () => {
  it('round-trips image -> hex -> image for any image, record size and line end', () => {
    fc.assert(
      fc.property(imageArbitrary, fc.integer({ min: 1, max: 255 }), fc.constantFrom('\n' as const, '\r\n' as const), fc.option(fc.nat()), (image, bytesPerRecord, lineEnding, entry) => {
        const startAddress = entry === null ? undefined : ({ kind: 'linear', address: entry } as const);
        const text = writeIntelHex(image, { bytesPerRecord, lineEnding, startAddress });
        const parsed = parseIntelHex(text);
        expect(parsed.image.blocks).toEqual(image.blocks);
        expect(parsed.startAddress).toEqual(startAddress);
        expect(writeIntelHex(parsed.image, { bytesPerRecord, lineEnding, startAddress })).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('throws only located image-format errors on random text', () => {
    const alphabet = fc.constantFrom(...':0123456789ABCDEFabcdef\r\n \tS!é'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 200 }).map((chars) => chars.join('')), (text) => {
        expectParsesOrLocatedError(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('throws only located image-format errors on mutated real files', () => {
    const original = fixtureText('blinky.hex');
    const mutation = fc.record({
      position: fc.nat({ max: original.length - 1 }),
      deleteCount: fc.nat({ max: 3 }),
      insert: fc.string({ maxLength: 3, unit: fc.constantFrom(...'0F:\r\nx'.split('')) }),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        let text = original;
        for (const { position, deleteCount, insert } of mutations) {
          const at = Math.min(position, text.length);
          text = text.slice(0, at) + insert + text.slice(at + deleteCount);
        }
        expectParsesOrLocatedError(text);
      }),
      { numRuns: 1000 },
    );
  });
});

function expectParsesOrLocatedError(text: string): void {
  try {
    const { image } = parseIntelHex(text, { file: 'fuzz.hex' });
    // Allocation is bounded by the input: two hex digits per byte.
    expect(image.size).toBeLessThanOrEqual(text.length / 2);
  } catch (error) {
    expect(error).toBeInstanceOf(DfuError);
    expect((error as DfuError).info).toMatchObject({ kind: 'image-format', format: 'intel-hex', file: 'fuzz.hex', line: expect.any(Number) });
  }
}
