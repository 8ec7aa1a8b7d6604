import fc from 'fast-check';
import { DfuError } from '../errors.js';
import { blinky, errorInfo, fixtureText } from '../testing/fixtures/firmware/firmwareFixtures.js';
import { parseIntelHex } from './intelHex.js';
import { MemoryImage } from './memoryImage.js';
import { parseSrec, writeSrec } from './srec.js';

/** One S-record with a correct checksum. */
function srec(type: number, addressBytes: number, address: number, data: number[]): string {
  const bytes = [addressBytes + data.length + 1];
  for (let i = addressBytes - 1; i >= 0; i--) bytes.push(Math.floor(address / 2 ** (8 * i)) & 0xff);
  bytes.push(...data);
  bytes.push(~bytes.reduce((sum, value) => sum + value, 0) & 0xff);
  return `S${type}${bytes.map((value) => value.toString(16).toUpperCase().padStart(2, '0')).join('')}`;
}

const S9 = srec(9, 2, 0, []);

describe('parseSrec', () => {
  it('reads srec_cat output as the same image as the HEX it came from, with start address and header', () => {
    const hex = parseIntelHex(fixtureText('blinky.hex'));
    const result = parseSrec(fixtureText('blinky.srec'));
    expect(result.image.blocks).toEqual(hex.image.blocks);
    expect(result.startAddress).toBe(blinky.resetHandler);
    expect(result.header).toBe('http://srecord.sourceforge.net/');
    expect(result.warnings).toEqual([]);
  });

  it('reads S1, S2 and S3 addresses, lower case and CR line ends', () => {
    const text = [srec(1, 2, 0x1234, [1]), srec(2, 3, 0x123456, [2]), srec(3, 4, 0x12345678, [3]), srec(8, 3, 0x123456, [])].join('\r').toLowerCase();
    const { image, startAddress } = parseSrec(text);
    expect(image.ranges).toEqual([
      { start: 0x1234, end: 0x1235 },
      { start: 0x123456, end: 0x123457 },
      { start: 0x12345678, end: 0x12345679 },
    ]);
    expect(startAddress).toBe(0x123456);
  });

  it('checks S5 and S6 record counts', () => {
    expect(parseSrec([srec(1, 2, 0, [1]), srec(1, 2, 1, [2]), srec(5, 2, 2, []), S9].join('\n')).image.size).toBe(2);
    expect(parseSrec([srec(1, 2, 0, [1]), srec(6, 3, 1, []), S9].join('\n')).image.size).toBe(1);
  });

  it('accepts count fields of 2 to 4 bytes (S5) and 3 or 4 bytes (S6), as srec_cat does', () => {
    const data = [srec(1, 2, 0, [1]), srec(1, 2, 1, [2])];
    for (const count of [srec(5, 2, 2, []), srec(5, 3, 2, []), srec(5, 4, 2, []), srec(6, 3, 2, []), srec(6, 4, 2, [])]) {
      expect(parseSrec([...data, count, S9].join('\n')).image.size, count).toBe(2);
    }
  });

  it('reads concatenated files: records after a termination record, counts per part or in all, the first start address', () => {
    const boot = [srec(0, 2, 0, [0x42]), srec(1, 2, 0x100, [1, 2]), srec(1, 2, 0x102, [3]), srec(5, 2, 2, []), srec(9, 2, 0x100, [])];
    const app = [srec(0, 2, 0, [0x41]), srec(1, 2, 0x200, [9]), srec(5, 2, 3, []), srec(9, 2, 0x200, [])];
    const result = parseSrec([...boot, ...app].join('\n'));
    expect(result.image.ranges).toEqual([
      { start: 0x100, end: 0x103 },
      { start: 0x200, end: 0x201 },
    ]);
    expect(result.startAddress).toBe(0x100);
    expect(result.header).toBe('B');
    expect(result.warnings).toEqual(['termination records name different start addresses: 0x00000100 on line 5, 0x00000200 on line 9; the first is kept (as srec_cat does)']);
    const perPart = [...app.slice(0, 2), srec(5, 2, 1, []), app[3]!];
    expect(parseSrec([...boot, ...perPart].join('\n')).image.size).toBe(4);
  });

  it('warns when the data after a termination record has none of its own', () => {
    expect(parseSrec([srec(1, 2, 0, [1]), S9, srec(1, 2, 1, [2])].join('\n')).warnings).toEqual([
      'no termination record after the data that follows the one on line 2: the file may be cut short',
    ]);
  });

  it('warns when the termination record is missing', () => {
    expect(parseSrec(srec(1, 2, 0, [1])).warnings).toEqual(['no termination record (S7, S8 or S9): the file may be cut short']);
  });

  describe('rejects, naming the file and line', () => {
    const cases: [string, string, number, RegExp][] = [
      ['an empty file', '\n\n', 1, /no S-records/],
      ['a wrong checksum', [srec(1, 2, 0, [1]).slice(0, -2) + '00', S9].join('\n'), 1, /checksum is 0x00, expected 0xFA/],
      ['a reserved S4 record', ['S4030000FC', S9].join('\n'), 1, /S4 is reserved/],
      ['a bad record type', ['SX030000FC'].join('\n'), 1, /'X' at column 2 is not a record type/],
      ['a byte count too small for the address', ['S3030000FC'].join('\n'), 1, /byte count 3 is too small for an S3 record \(at least 5\)/],
      ['a record cut short', [srec(1, 2, 0, [1, 2, 3]).slice(0, -4), S9].join('\n'), 1, /cut short: 12 characters, its byte count needs 16/],
      ['a non-hex digit', ['S1040000Z1FA', S9].join('\n'), 1, /'Z' at column 9 is not a hex digit/],
      ['a record longer than its byte count', [srec(1, 2, 0, [1]) + '0', S9].join('\n'), 1, /longer than its byte count \(4\)/],
      ['a line without S', [srec(1, 2, 0, [1]), ':00000001FF'].join('\n'), 2, /expected 'S' at column 1/],
      ['a wrong record count', [srec(1, 2, 0, [1]), srec(5, 2, 2, []), S9].join('\n'), 2, /record count says 2 data records, 1 came before it/],
      ['an S5 count field of 5 bytes', [srec(5, 2, 0, [1, 2, 3]), S9].join('\n'), 1, /S5 record has 5 bytes after its byte count; a record count field is 2, 3 or 4 bytes/],
      ['an S6 count field of 2 bytes', [srec(6, 2, 0, []), S9].join('\n'), 1, /S6 record has 2 bytes after its byte count; a record count field is 3 or 4 bytes/],
      ['a record count matching neither the file nor its part', [srec(1, 2, 0, [1]), S9, srec(1, 2, 1, [2]), srec(5, 2, 3, [])].join('\n'), 4, /says 3 data records, 1 came before it \(2 since the start of the file\)/],
      ['a termination record with data', [srec(9, 2, 0, [1])].join('\n'), 1, /S9 record has 1 data bytes/],
      ['data past 0xFFFFFFFF', [srec(3, 4, 0xffffffff, [1, 2]), S9].join('\n'), 1, /2 bytes at 0xFFFFFFFF run past/],
      ['overlapping records', [srec(1, 2, 0x10, [1, 2, 3]), srec(1, 2, 0x0, [1]), srec(1, 2, 0x12, [4]), S9].join('\n'), 3, /0x00000012 is defined twice: on line 1 and on line 3/],
    ];
    it.each(cases)('%s', (_name, text, line, reason) => {
      const info = errorInfo(() => parseSrec(text, { file: 'app.srec' }));
      expect(info).toMatchObject({ kind: 'image-format', format: 'srec', file: 'app.srec', line });
      expect(info.kind === 'image-format' && info.reason).toMatch(reason);
    });
  });
});

describe('writeSrec', () => {
  it('reproduces srec_cat output byte for byte', () => {
    const text = fixtureText('blinky.srec');
    const { image, startAddress, header } = parseSrec(text);
    expect(writeSrec(image, { startAddress, header, addressBytes: 4 })).toBe(text);
  });

  it('picks the smallest address size and the matching terminator', () => {
    expect(writeSrec(MemoryImage.fromBytes(0x10, Uint8Array.of(1)))).toBe(`${srec(1, 2, 0x10, [1])}\n${srec(5, 2, 1, [])}\n${S9}\n`);
    expect(writeSrec(MemoryImage.fromBytes(0x10000, Uint8Array.of(1)), { startAddress: 0x10000 }).split('\n').at(-2)).toBe(srec(8, 3, 0x10000, []));
  });

  it('refuses addresses the chosen size cannot hold and bad record sizes', () => {
    expect(errorInfo(() => writeSrec(MemoryImage.fromBytes(0x10000, Uint8Array.of(1)), { addressBytes: 2 }))).toMatchObject({ argument: 'addressBytes' });
    expect(errorInfo(() => writeSrec(MemoryImage.empty, { bytesPerRecord: 253 }))).toMatchObject({ argument: 'bytesPerRecord' });
  });
});

describe('S-record properties', () => {
  it('round-trips image -> srec -> image', () => {
    const imageArbitrary = fc
      .array(fc.record({ start: fc.nat({ max: 0xfffff000 }), data: fc.uint8Array({ minLength: 1, maxLength: 200 }) }), { maxLength: 4 })
      .map((blocks) => MemoryImage.fromBlocks(blocks.filter((b, i) => blocks.every((o, j) => j >= i || b.start + b.data.length <= o.start || o.start + o.data.length <= b.start))));
    fc.assert(
      fc.property(imageArbitrary, fc.integer({ min: 1, max: 250 }), fc.nat(), (image, bytesPerRecord, startAddress) => {
        const text = writeSrec(image, { bytesPerRecord, startAddress, addressBytes: 4, header: 'fuzz' });
        const parsed = parseSrec(text);
        expect(parsed.image.blocks).toEqual(image.blocks);
        expect(parsed.startAddress).toBe(startAddress);
        expect(parsed.header).toBe('fuzz');
      }),
      { numRuns: 200 },
    );
  });

  it('throws only located image-format errors on random and mutated input', () => {
    const original = fixtureText('blinky.srec');
    const mutated = fc
      .array(fc.record({ position: fc.nat({ max: original.length - 1 }), deleteCount: fc.nat({ max: 3 }), insert: fc.string({ maxLength: 3, unit: fc.constantFrom(...'S0579F\r\nx'.split('')) }) }), { minLength: 1, maxLength: 3 })
      .map((mutations) => mutations.reduce((text, { position, deleteCount, insert }) => text.slice(0, position) + insert + text.slice(position + deleteCount), original));
    const random = fc.array(fc.constantFrom(...'S0123456789ABCDEFabcdef\r\n \t:ü'.split('')), { maxLength: 200 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.oneof(mutated, random), (text) => {
        try {
          expect(parseSrec(text, { file: 'fuzz.srec' }).image.size).toBeLessThanOrEqual(text.length / 2);
        } catch (error) {
          expect(error).toBeInstanceOf(DfuError);
          expect((error as DfuError).info).toMatchObject({ kind: 'image-format', format: 'srec', file: 'fuzz.srec', line: expect.any(Number) });
        }
      }),
      { numRuns: 2000 },
    );
  });
});
