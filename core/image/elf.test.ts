import fc from 'fast-check';
import { writeU16LE, writeU32LE } from '../bytes.js';
import { DfuError } from '../errors.js';
import { blinky, errorInfo, fixtureBytes, fixtureText } from '../testing/fixtures/firmware/firmwareFixtures.js';
import { parseElf } from './elf.js';
import { parseIntelHex } from './intelHex.js';

const original = fixtureBytes('blinky.elf');
const hexImage = parseIntelHex(fixtureText('blinky.hex')).image;
/** Offset of program header `i` in blinky.elf (e_phoff 52, e_phentsize 32; see readelf -l). */
const ph = (i: number) => 52 + 32 * i;

function edited(change: (bytes: Uint8Array) => void): Uint8Array {
  const bytes = new Uint8Array(original);
  change(bytes);
  return bytes;
}

describe('parseElf', () => {
  it('loads the linker output exactly as objcopy does, .data at its flash load address', () => {
    const { image, entryAddress, machine, warnings } = parseElf(original);
    expect(image.blocks).toEqual(hexImage.blocks);
    expect(entryAddress).toBe(blinky.resetHandler);
    expect(machine).toBe(40);
    expect(warnings).toEqual([]);
    // .data's initial value (delayCycles = 200000) sits at its LMA in flash, not at 0x20000000.
    expect(image.byteAt(blinky.dataLoadAddress)).toBe(200000 & 0xff);
    expect(image.contains(0x20000000)).toBe(false);
  });

  it('loads whole PT_LOAD segments when there are no section headers', () => {
    const stripped = edited((b) => {
      writeU32LE(b, 32, 0);
      writeU16LE(b, 48, 0);
    });
    expect(parseElf(stripped).image.blocks).toEqual(hexImage.blocks);
  });

  it('keeps ELF headers out when a segment starts at file offset 0', () => {
    // Segment 0 grown to begin at the ELF header, as some linker scripts lay it out.
    const bytes = edited((b) => {
      writeU32LE(b, ph(0) + 4, 0);
      writeU32LE(b, ph(0) + 12, 0x08000000 - 0x1000);
      writeU32LE(b, ph(0) + 16, 0x10d0);
    });
    expect(parseElf(bytes).image.blocks).toEqual(hexImage.blocks);
    const headersOnly = edited((b) => writeU32LE(b, ph(0) + 16, 0x10));
    const result = parseElf(headersOnly);
    expect(result.warnings).toEqual(['segment 0 holds no loadable section (ELF headers only?); skipped']);
    expect(result.image.contains(0x08000000)).toBe(false);
  });

  it('skips segments without file bytes (.bss) and warns about odd but loadable files', () => {
    const bytes = edited((b) => {
      writeU32LE(b, ph(1) + 16, 0); // .data segment now NOBITS-like
      writeU16LE(b, 18, 62); // EM_X86_64
      writeU16LE(b, 16, 3); // ET_DYN
    });
    const result = parseElf(bytes);
    expect(result.image.contains(blinky.dataLoadAddress)).toBe(false);
    expect(result.image.size).toBe(hexImage.size - 4);
    expect(result.warnings).toEqual(['position-independent (ET_DYN) ELF: loaded at its link addresses', 'ELF machine 62 is not ARM (40)']);
  });

  it('falls back to whole segments when the section table is cut off', () => {
    const result = parseElf(original.subarray(0, original.length - 100));
    expect(result.warnings).toEqual(['section header table is damaged or cut off; loading whole segments']);
    expect(result.image.blocks).toEqual(hexImage.blocks);
  });

  describe('rejects, naming the file and byte offset', () => {
    const cases: [string, Uint8Array, number, RegExp][] = [
      ['a file without the signature', edited((b) => (b[1] = 0x65)), 0, /no ELF signature/],
      ['a cut identification', original.subarray(0, 5), 5, /inside the ELF identification/],
      ['ELF64', edited((b) => (b[4] = 2)), 4, /ELF64 file: STM32 firmware is ELF32/],
      ['an unknown class', edited((b) => (b[4] = 7)), 4, /unknown ELF class 7/],
      ['big-endian', edited((b) => (b[5] = 2)), 5, /big-endian ELF/],
      ['an unknown encoding', edited((b) => (b[5] = 0)), 5, /unknown ELF data encoding 0/],
      ['a truncated header', original.subarray(0, 40), 40, /ends inside the ELF header \(40 of 52 bytes\)/],
      ['a relocatable object', edited((b) => writeU16LE(b, 16, 1)), 16, /relocatable object file/],
      ['a core dump', edited((b) => writeU16LE(b, 16, 4)), 16, /ELF type 4 is not an executable/],
      ['no program headers', edited((b) => writeU16LE(b, 44, 0)), 44, /no program headers/],
      ['small program header entries', edited((b) => writeU16LE(b, 42, 16)), 42, /program header size 16/],
      ['a program header table past the end', edited((b) => writeU32LE(b, 28, original.length - 40)), 28, /program header table \(3 x 32 bytes at offset \d+\) runs past the end/],
      ['segment data past the end', original.subarray(0, 0x3008), ph(2) + 4, /segment 2: 16 bytes at file offset 12288 run past the end of the file \(12296 bytes\)/],
      ['a segment past 0xFFFFFFFF', edited((b) => writeU32LE(b, ph(2) + 12, 0xfffffff8)), ph(2) + 12, /segment 2: 16 bytes at 0xFFFFFFF8 run past/],
      ['file bytes loaded three times', edited((b) => {
        writeU32LE(b, 32, 0); // no sections: whole segments
        for (const i of [0, 1, 2]) {
          writeU32LE(b, ph(i) + 4, 0);
          writeU32LE(b, ph(i) + 12, 0x08000000 + i * 0x01000000);
          writeU32LE(b, ph(i) + 16, original.length);
          writeU32LE(b, ph(i) + 20, original.length);
        }
      }), 32, /reuse file bytes: 39960 bytes to load from a 13320-byte file/],
      ['overlapping load addresses', edited((b) => writeU32LE(b, ph(2) + 12, 0x08000010)), 0x3000, /section \.isr_vector \(segment 0\) and section \.eeprom \(segment 2\) both load at 0x08000010/],
    ];
    it.each(cases)('%s', (_name, bytes, offset, reason) => {
      const info = errorInfo(() => parseElf(bytes, { file: 'app.elf' }));
      expect(info).toMatchObject({ kind: 'image-format', format: 'elf', file: 'app.elf', offset });
      expect(info.kind === 'image-format' && info.reason).toMatch(reason);
    });
  });

  it('throws only located image-format errors on mutated and truncated files', () => {
    // Mutations aim at the headers (first 0x140 bytes and the section table at the end), where
    // a wrong value steers the parser; payload bytes only change the image.
    const headerPosition = fc.oneof(fc.nat({ max: 0x13f }), fc.integer({ min: original.length - 9 * 40, max: original.length - 1 }));
    const mutation = fc.record({ position: headerPosition, value: fc.oneof(fc.nat({ max: 255 }), fc.constantFrom(0, 0xff, 0x7f, 0x80)) });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.nat({ max: original.length }), (mutations, cut) => {
        const bytes = edited((b) => {
          for (const { position, value } of mutations) b[position] = value;
        }).subarray(0, cut < 100 ? original.length : cut);
        try {
          expect(parseElf(bytes, { file: 'fuzz.elf' }).image.size).toBeLessThanOrEqual(bytes.length);
        } catch (error) {
          expect(error).toBeInstanceOf(DfuError);
          expect((error as DfuError).info).toMatchObject({ kind: 'image-format', format: 'elf', file: 'fuzz.elf', offset: expect.any(Number) });
        }
      }),
      { numRuns: 1500 },
    );
  });
});
