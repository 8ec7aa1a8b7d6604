import fc from 'fast-check';
import { DfuError, isDfuError } from '../errors.js';
import { capturedDescriptors } from '../testing/fixtures/descriptors.js';
import {
  accessOfTypeLetter,
  formatLayout,
  parseMemoryLayout,
  regionRange,
  sectorAt,
  sectorByIndex,
  sectorCountOf,
  sectorsIn,
  type MemoryRegion,
  type Segment,
} from './memoryLayout.js';

const K = 1024;

/** Compact "start-end size×count flags" rendering so expectations stay readable. */
function summary(segments: readonly Segment[]): string[] {
  return segments.map(
    (s) =>
      `${s.start.toString(16)}-${s.end.toString(16)} ${s.sectorCount}x${s.sectorSize} ${s.readable ? 'r' : '-'}${s.erasable ? 'e' : '-'}${s.writable ? 'w' : '-'}`,
  );
}

function layoutError(input: string): DfuError {
  try {
    parseMemoryLayout(input);
  } catch (error) {
    if (error instanceof DfuError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('parseMemoryLayout on captured strings', () => {
  it('reads the F4 flash with its three sector sizes and no warnings', () => {
    const { region, warnings } = parseMemoryLayout(capturedDescriptors.f405Flash.descriptor);
    expect(region.name).toBe('Internal Flash');
    expect(summary(region.segments)).toEqual([
      '8000000-8010000 4x16384 rew',
      '8010000-8020000 1x65536 rew',
      '8020000-8100000 7x131072 rew',
    ]);
    expect(warnings).toEqual([]);
  });

  it('reads the L0 flash `1536*128g` as 192 KB of 128-byte pages and says what it corrected', () => {
    const input = capturedDescriptors.l07xFlash.descriptor;
    const { region, warnings } = parseMemoryLayout(input);
    expect(summary(region.segments)).toEqual(['8000000-8030000 1536x128 rew']);
    expect(warnings).toEqual([
      { position: input.indexOf('1536'), message: 'sector count 1536 has 4 digits; the DfuSe grammar allows 2' },
      { position: input.indexOf('g'), message: "no size multiplier before 'g': sizes read as bytes" },
    ]);
  });

  it('reads the L0 option bytes (space multiplier = bytes) and data EEPROM (not erasable)', () => {
    const ob = parseMemoryLayout(capturedDescriptors.l07xOptionBytes.descriptor);
    expect(ob.region.name).toBe('Option Bytes');
    expect(summary(ob.region.segments)).toEqual(['1ff80000-1ff80020 1x32 r-w']);
    expect(ob.warnings).toEqual([]);
    const data = parseMemoryLayout(capturedDescriptors.l07xDataMemory.descriptor);
    expect(data.region.name).toBe('DATA Memory');
    expect(summary(data.region.segments)).toEqual(['8080000-8081800 2x3072 r-w']);
  });

  it('reads the L1 `1024*256 g` (4-digit count, space multiplier)', () => {
    const { region, warnings } = parseMemoryLayout(capturedDescriptors.l1Flash.descriptor);
    expect(summary(region.segments)).toEqual(['8000000-8040000 1024x256 rew']);
    expect(warnings.map((w) => w.message)).toEqual(['sector count 1024 has 4 digits; the DfuSe grammar allows 2']);
  });

  it('reads zero-padded L4 fields `0256*0002Kg` and `01*0001Ke`', () => {
    const flash = parseMemoryLayout(capturedDescriptors.l4Flash.descriptor);
    expect(summary(flash.region.segments)).toEqual(['8000000-8080000 256x2048 rew']);
    expect(flash.warnings.map((w) => w.message)).toEqual([
      'sector count 0256 has 4 digits; the DfuSe grammar allows 2',
      'sector size 0002 has 4 digits; the DfuSe grammar allows 3',
    ]);
    const otp = parseMemoryLayout(capturedDescriptors.l4Otp.descriptor);
    expect(summary(otp.region.segments)).toEqual(['1fff7000-1fff7400 1x1024 r-w']);
  });

  it('reads both option-byte banks of the G474 and of the F42x as one region with a gap', () => {
    const g4 = parseMemoryLayout(capturedDescriptors.g474OptionBytes.descriptor);
    expect(g4.region.name).toBe('Option Bytes');
    expect(summary(g4.region.segments)).toEqual(['1fff7800-1fff7830 1x48 r-w', '1ffff800-1ffff830 1x48 r-w']);
    expect(g4.warnings).toEqual([]);
    const f42x = parseMemoryLayout(capturedDescriptors.f42xOptionBytes.descriptor);
    // The second block is lower: segments come out sorted, with a warning.
    expect(summary(f42x.region.segments)).toEqual(['1ffec000-1ffec010 1x16 r-w', '1fffc000-1fffc010 1x16 r-w']);
    expect(f42x.warnings.map((w) => w.message)).toEqual(['address blocks are not in ascending order: sorted by address']);
  });

  it("reads the G431 'B' multiplier, the F722 OTP without multiplier and the H7/U5 strings", () => {
    expect(summary(parseMemoryLayout(capturedDescriptors.g431OptionBytes.descriptor).region.segments)).toEqual([
      '1fff7800-1fff7828 1x40 r-w',
    ]);
    const otp = parseMemoryLayout(capturedDescriptors.f722Otp.descriptor);
    expect(summary(otp.region.segments)).toEqual(['1ff07800-1ff07a10 1x528 r-w']);
    expect(otp.warnings.map((w) => w.message)).toEqual(["no size multiplier before 'e': sizes read as bytes"]);
    expect(summary(parseMemoryLayout(capturedDescriptors.h743Flash.descriptor).region.segments)).toEqual([
      '8000000-8200000 16x131072 rew',
    ]);
    expect(summary(parseMemoryLayout(capturedDescriptors.u5Flash.descriptor).region.segments)).toEqual([
      '8000000-8100000 128x8192 rew',
    ]);
    expect(summary(parseMemoryLayout(capturedDescriptors.h743OptionBytes.descriptor).region.segments)).toEqual([
      '5200201c-5200209c 1x128 r-w',
    ]);
  });

  it("treats the old F4 'Device Feature' marked 'g' as read/write only, as dfu-util does", () => {
    const { region, warnings } = parseMemoryLayout(capturedDescriptors.f407DeviceFeature.descriptor);
    expect(region.name).toBe('Device Feature');
    expect(summary(region.segments)).toEqual(['ffff0000-ffff0004 1x4 r-w']);
    expect(warnings).toHaveLength(1);
    // Newer BLs already say 'e': no correction.
    expect(parseMemoryLayout(capturedDescriptors.f405DeviceFeature.descriptor).warnings).toEqual([]);
  });

  it('parses every captured string, each into a non-empty region', () => {
    for (const [id, captured] of Object.entries(capturedDescriptors)) {
      const { region } = parseMemoryLayout(captured.descriptor);
      expect(region.segments.length, id).toBeGreaterThan(0);
      expect(region.name, id).toBe(region.name.trim());
    }
  });
});

describe('parseMemoryLayout leniency', () => {
  it('accepts a missing @, lower-case hex, trailing commas, slashes, spaces and NULs, each with a warning', () => {
    const { region, warnings } = parseMemoryLayout('Internal Flash /0x0800c000/02*016kg,, /\0\0');
    expect(region.name).toBe('Internal Flash');
    expect(summary(region.segments)).toEqual(['800c000-8014000 2x16384 rew']);
    expect(warnings.map((w) => w.message)).toEqual([
      'NUL characters at the end of the string ignored',
      "no '@' at the start: read as a DfuSe memory layout anyway",
      "multiplier 'k' is lower case: read as 'K'",
      "trailing ',' ignored",
      "trailing '/' ignored",
    ]);
  });

  it('reads a name that contains a slash up to the address', () => {
    const { region, warnings } = parseMemoryLayout('@Flash A/B  /0x08000000/02*001Kg');
    expect(region.name).toBe('Flash A/B');
    expect(warnings).toHaveLength(1);
  });

  it('accepts an address without 0x, upper-case type letters and M multipliers', () => {
    const { region, warnings } = parseMemoryLayout('@X/90000000/02*001MG');
    expect(summary(region.segments)).toEqual(['90000000-90200000 2x1048576 rew']);
    expect(warnings.map((w) => w.message)).toEqual([
      "address has no '0x' prefix: read as hexadecimal",
      "type letter 'G' is upper case: read as 'g'",
    ]);
  });

  it('maps every type letter a-g to its access bits', () => {
    const flags = 'abcdefg'.split('').map((letter) => {
      const access = accessOfTypeLetter(letter)!;
      return `${access.readable ? 'r' : '-'}${access.erasable ? 'e' : '-'}${access.writable ? 'w' : '-'}`;
    });
    expect(flags).toEqual(['r--', '-e-', 're-', '--w', 'r-w', '-ew', 'rew']);
    expect(accessOfTypeLetter('h')).toBeUndefined();
  });

  it('skips groups with no sectors but keeps addresses running', () => {
    const { region, warnings } = parseMemoryLayout('@F/0x08000000/00*016Kg,01*001Kg');
    expect(summary(region.segments)).toEqual(['8000000-8000400 1x1024 rew']);
    expect(warnings[0]!.message).toMatch(/no sectors/);
  });
});

describe('parseMemoryLayout errors', () => {
  it.each([
    ['', 0, /empty/],
    ['@Internal Flash', 15, /no '\/'/],
    ['@Flash/0x08000000', 17, /expected '\/' after the address/],
    ['@Flash/0x08000000/04016Kg', 23, /expected '\*'/],
    ['@Flash/0x08000000/04*016Kx', 25, /type letter 'x'/],
    ['@Flash/0x08000000/04*016K', 25, /missing type letter/],
    ['@Flash/0x08000000/04*000Kg', 21, /sector size is 0/],
    ['@Flash/0x108000000/04*016Kg', 9, /does not fit in 32 bits/],
    ['@Flash/0x08000000/04*016Kg;', 26, /unexpected ';'/],
    ['@Flash/zz/04*016Kg', 7, /hexadecimal address/],
  ])('rejects %j at position %i', (input, position, reason) => {
    const error = layoutError(input);
    expect(error.info).toMatchObject({ kind: 'layout-format', input, position });
    expect(error.info.kind === 'layout-format' && error.info.reason).toMatch(reason);
  });

  it('refuses counts and sizes that overflow the 32-bit address space without allocating', () => {
    expect(layoutError('@F/0xF0000000/9999999999*999Mg').info).toMatchObject({ kind: 'layout-format', position: 14 });
    expect(layoutError('@F/0x08000000/2*4095Mg').info).toMatchObject({ kind: 'layout-format' });
    expect(layoutError('@F/0x0/1*99999999999999999999g').info).toMatchObject({ kind: 'layout-format' });
    // Exactly up to the top of the address space is fine.
    expect(regionRange(parseMemoryLayout('@F/0xFFFF0000/01*064Ka').region)).toEqual({ start: 0xffff0000, end: 0x1_0000_0000 });
  });

  it('refuses overlapping address blocks', () => {
    expect(layoutError('@F/0x08000000/04*016Kg/0x08008000/01*016Kg').info).toMatchObject({ kind: 'layout-format' });
  });
});

describe('sector lookups', () => {
  const f4 = parseMemoryLayout(capturedDescriptors.f405Flash.descriptor).region;
  const l0 = parseMemoryLayout(capturedDescriptors.l07xFlash.descriptor).region;
  const g4ob = parseMemoryLayout(capturedDescriptors.g474OptionBytes.descriptor).region;

  it('finds F4 sectors by address, with indexes counting across segments', () => {
    expect(sectorAt(f4, 0x08000000)).toMatchObject({ index: 0, start: 0x08000000, end: 0x08004000 });
    expect(sectorAt(f4, 0x0800ffff)).toMatchObject({ index: 3, start: 0x0800c000 });
    expect(sectorAt(f4, 0x08010000)).toMatchObject({ index: 4, start: 0x08010000, end: 0x08020000 });
    expect(sectorAt(f4, 0x080fffff)).toMatchObject({ index: 11, start: 0x080e0000, end: 0x08100000 });
    expect(sectorAt(f4, 0x08100000)).toBeUndefined();
    expect(sectorAt(f4, 0x07ffffff)).toBeUndefined();
    expect(sectorCountOf(f4)).toBe(12);
  });

  it('finds L0 pages by arithmetic: the founding image covers pages 0-521', () => {
    const pages = sectorsIn(l0, { start: 0x08000000, end: 0x08000000 + 66748 });
    expect(pages).toHaveLength(522);
    expect(pages[0]).toMatchObject({ index: 0, start: 0x08000000, end: 0x08000080 });
    expect(pages[521]).toMatchObject({ index: 521, start: 0x08000000 + 521 * 128 });
    expect(sectorAt(l0, 0x0802ffff)).toMatchObject({ index: 1535 });
    expect(sectorByIndex(l0, 1535)).toEqual(sectorAt(l0, 0x0802ff80));
    expect(sectorByIndex(l0, 1536)).toBeUndefined();
  });

  it('returns every sector overlapping a range, across segments and gaps', () => {
    expect(sectorsIn(f4, { start: 0x0800fff0, end: 0x08020001 }).map((s) => s.index)).toEqual([3, 4, 5]);
    expect(sectorsIn(f4, { start: 0x08004000, end: 0x08004000 })).toEqual([]);
    expect(sectorsIn(g4ob, { start: 0, end: 0xffffffff }).map((s) => s.start)).toEqual([0x1fff7800, 0x1ffff800]);
    expect(sectorsIn(g4ob, { start: 0x1fff7830, end: 0x1ffff800 })).toEqual([]);
    expect(sectorAt(g4ob, 0x1fff7830)).toBeUndefined();
    expect(regionRange(g4ob)).toEqual({ start: 0x1fff7800, end: 0x1ffff830 });
  });

  it('agrees with a brute-force sector walk on every captured region', () => {
    for (const captured of Object.values(capturedDescriptors)) {
      const region = parseMemoryLayout(captured.descriptor).region;
      let index = 0;
      for (const segment of region.segments) {
        for (let i = 0; i < segment.sectorCount; i++, index++) {
          const start = segment.start + i * segment.sectorSize;
          for (const address of [start, start + segment.sectorSize - 1]) {
            const sector = sectorAt(region, address);
            expect(sector?.index).toBe(index);
            expect(sector?.start).toBe(start);
          }
        }
      }
    }
  });
});

describe('formatLayout', () => {
  it('writes the canonical string back', () => {
    expect(formatLayout(parseMemoryLayout(capturedDescriptors.f405Flash.descriptor).region)).toBe(
      capturedDescriptors.f405Flash.descriptor,
    );
    expect(formatLayout(parseMemoryLayout(capturedDescriptors.g474OptionBytes.descriptor).region)).toBe(
      '@Option Bytes  /0x1FFF7800/01*048Be/0x1FFFF800/01*048Be',
    );
    expect(formatLayout(parseMemoryLayout(capturedDescriptors.l07xFlash.descriptor).region)).toBe(
      '@Internal Flash  /0x08000000/1536*128Bg',
    );
  });

  it('round-trips every captured region', () => {
    for (const captured of Object.values(capturedDescriptors)) {
      const region = parseMemoryLayout(captured.descriptor).region;
      expect(parseMemoryLayout(formatLayout(region)).region).toEqual(region);
    }
  });
});

describe('property tests', () => {
  const typeLetter = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
  const segmentSpec = fc.record({
    count: fc.integer({ min: 1, max: 2000 }),
    size: fc.constantFrom(1, 4, 16, 128, 256, 1024, 2048, 3072, 16 * K, 128 * K, 1024 * K),
    type: typeLetter,
  });
  const regionArb: fc.Arbitrary<MemoryRegion> = fc
    .record({
      name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,20}$/).map((s) => s.trim()),
      blocks: fc.array(
        fc.record({ gap: fc.integer({ min: 0, max: 0x100000 }), groups: fc.array(segmentSpec, { minLength: 1, maxLength: 4 }) }),
        { minLength: 1, maxLength: 3 },
      ),
      base: fc.integer({ min: 0, max: 0x20000000 }),
    })
    .map(({ name, blocks, base }) => {
      const segments: Segment[] = [];
      let address = base;
      for (const block of blocks) {
        address += block.gap + (segments.length > 0 ? 1 : 0);
        for (const group of block.groups) {
          const access = accessOfTypeLetter(group.type)!;
          const end = address + group.count * group.size;
          segments.push({ start: address, end, sectorSize: group.size, sectorCount: group.count, ...access });
          address = end;
        }
      }
      return { name, segments };
    })
    .filter((region) => region.segments[region.segments.length - 1]!.end <= 0x1_0000_0000);

  it('formatLayout then parseMemoryLayout gives the same region', () => {
    fc.assert(
      fc.property(regionArb, (region) => {
        expect(parseMemoryLayout(formatLayout(region)).region).toEqual(region);
      }),
      { numRuns: 300 },
    );
  });

  it('sectorAt matches sectorsIn on random addresses', () => {
    fc.assert(
      fc.property(regionArb, fc.double({ min: 0, max: 1, noNaN: true }), (region, fraction) => {
        const { start, end } = regionRange(region);
        const address = start + Math.floor(fraction * (end - start - 1));
        const sector = sectorAt(region, address);
        const overlapping = sectorsIn(region, { start: address, end: address + 1 });
        expect(overlapping).toEqual(sector ? [sector] : []);
        if (sector) expect(address >= sector.start && address < sector.end).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  const alphabet = fc.constantFrom(...'@/0x*,BKMkbg eEG19aF\0-.'.split(''));

  it('throws only layout-format errors on random strings', () => {
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }).map((chars) => chars.join('')), (input) => {
        try {
          const { region } = parseMemoryLayout(input);
          expect(region.segments.length).toBeGreaterThan(0);
        } catch (error) {
          expect(isDfuError(error, 'layout-format')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('throws only layout-format errors on mutated captured strings', () => {
    const inputs = Object.values(capturedDescriptors).map((c) => c.descriptor);
    fc.assert(
      fc.property(
        fc.constantFrom(...inputs),
        fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('delete', 'insert', 'replace'), ch: fc.oneof(alphabet, fc.string({ maxLength: 1 })) }), {
          minLength: 1,
          maxLength: 5,
        }),
        (input, mutations) => {
          let text: string = input;
          for (const { at, op, ch } of mutations) {
            const i = text.length === 0 ? 0 : at % text.length;
            text = op === 'delete' ? text.slice(0, i) + text.slice(i + 1) : op === 'insert' ? text.slice(0, i) + ch + text.slice(i) : text.slice(0, i) + ch + text.slice(i + 1);
          }
          try {
            const { region, warnings } = parseMemoryLayout(text);
            for (const segment of region.segments) {
              expect(segment.end).toBeLessThanOrEqual(0x1_0000_0000);
              expect(segment.end - segment.start).toBe(segment.sectorCount * segment.sectorSize);
            }
            for (const warning of warnings) expect(warning.position).toBeLessThanOrEqual(text.length);
          } catch (error) {
            expect(isDfuError(error, 'layout-format')).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
