// DFU Desk's readers against the tools users compare them with, run on this machine: srec_cat
// (Debian package srecord) and arm-none-eabi-objcopy (binutils-arm-none-eabi); .ci/run installs
// both. Where a tool is missing, its tests are skipped and a test named for the missing tool says so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { fixtureBytes, fixtureText } from '../testing/fixtures/firmware/firmwareFixtures.js';
import { loadFirmware } from './firmwareFile.js';
import { parseIntelHex } from './intelHex.js';
import type { MemoryImage } from './memoryImage.js';
import { parseSrec } from './srec.js';

function installed(tool: string, versionFlag: string): boolean {
  const result = spawnSync(tool, [versionFlag], { encoding: 'utf8' });
  return !result.error && result.status === 0;
}

const hasSrecCat = installed('srec_cat', '-VERSion');
const hasObjcopy = installed('arm-none-eabi-objcopy', '--version');
const folder = mkdtempSync(join(tmpdir(), 'dfu-desk-tools-'));
let fileNumber = 0;

/** Runs srec_cat on `text` (read as `inputFormat`) and returns its Intel HEX output. */
function srecCatToHex(
  text: string,
  inputFormat: '-intel' | '-motorola',
): { hex: string; status: number | null; stderr: string } {
  const input = join(folder, `in-${fileNumber++}.txt`);
  writeFileSync(input, text);
  const result = spawnSync('srec_cat', [input, inputFormat, '-o', '-', '-intel', '-output_block_size=16'], {
    encoding: 'utf8',
  });
  return { hex: result.stdout, status: result.status, stderr: result.stderr };
}

function hexRecord(type: number, offset: number, data: readonly number[]): string {
  const bytes = [data.length, offset >> 8, offset & 0xff, type, ...data];
  return `:${[...bytes, -bytes.reduce((sum, value) => sum + value, 0) & 0xff].map((value) => value.toString(16).toUpperCase().padStart(2, '0')).join('')}`;
}

function srecRecord(type: number, addressBytes: number, address: number, data: readonly number[]): string {
  const bytes = [addressBytes + data.length + 1];
  for (let i = addressBytes - 1; i >= 0; i--) bytes.push(Math.floor(address / 2 ** (8 * i)) & 0xff);
  bytes.push(...data);
  bytes.push(~bytes.reduce((sum, value) => sum + value, 0) & 0xff);
  return `S${type}${bytes.map((value) => value.toString(16).toUpperCase().padStart(2, '0')).join('')}`;
}

function sameImage(a: MemoryImage, b: MemoryImage): void {
  expect(a.ranges).toEqual(b.ranges);
  expect(a.blocks.map((block) => Array.from(block.data))).toEqual(b.blocks.map((block) => Array.from(block.data)));
}

describe('compared with srec_cat', () => {
  if (!hasSrecCat)
    it.skip('srec_cat is not installed (apt-get install srecord): these comparisons are skipped', () => {});

  it.skipIf(!hasSrecCat)(
    'places type-02 (segment) records that run past the segment end where srec_cat does, for random files',
    () => {
      const recordArbitrary = fc.record({
        offset: fc.integer({ min: 0xff00, max: 0xffff }),
        length: fc.integer({ min: 1, max: 64 }),
        seed: fc.nat(255),
      });
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 0xffff }),
          fc.array(recordArbitrary, { minLength: 1, maxLength: 4 }),
          (segment, records) => {
            // Keep records whose wrapped byte addresses do not collide (both tools refuse or merge those differently).
            const used = new Set<number>();
            const kept = records.filter(({ offset, length }) => {
              const addresses = Array.from({ length }, (_, i) => (offset + i) & 0xffff);
              if (addresses.some((address) => used.has(address))) return false;
              for (const address of addresses) used.add(address);
              return true;
            });
            const text = [
              hexRecord(2, 0, [segment >> 8, segment & 0xff]),
              ...kept.map(({ offset, length, seed }) =>
                hexRecord(
                  0,
                  offset,
                  Array.from({ length }, (_, i) => (seed + i) & 0xff),
                ),
              ),
              ':00000001FF',
              '',
            ].join('\n');
            const tool = srecCatToHex(text, '-intel');
            expect(tool.status, tool.stderr).toBe(0);
            sameImage(parseIntelHex(text).image, parseIntelHex(tool.hex).image);
          },
        ),
        { numRuns: 25 },
      );
    },
  );

  it.skipIf(!hasSrecCat)('reads concatenated S-record files and 4-byte S5/S6 counts as srec_cat does', () => {
    const boot = [
      srecRecord(0, 2, 0, [0x42]),
      srecRecord(1, 2, 0x100, [1, 2]),
      srecRecord(1, 2, 0x102, [3]),
      srecRecord(5, 4, 2, []),
      srecRecord(9, 2, 0x101, []),
    ];
    const app = [
      srecRecord(0, 2, 0, [0x41]),
      srecRecord(3, 4, 0x08000000, [9, 8, 7]),
      srecRecord(6, 4, 3, []),
      srecRecord(7, 4, 0x08000001, []),
    ];
    const text = [...boot, ...app, ''].join('\n');
    const tool = srecCatToHex(text, '-motorola');
    expect(tool.status, tool.stderr).toBe(0);
    const ours = parseSrec(text);
    sameImage(ours.image, parseIntelHex(tool.hex).image);
    // srec_cat keeps the first start address too (its HEX output has it as a type 05 record).
    expect(parseIntelHex(tool.hex).startAddress).toEqual({ kind: 'linear', address: ours.startAddress });
  });

  it.skipIf(!hasSrecCat)('reads every text file of the corpus as srec_cat does', () => {
    const files: [string, '-intel' | '-motorola'][] = [
      ['third-party/bincopy/empty_main.hex', '-intel'],
      ['third-party/bincopy/empty_main.s19', '-motorola'],
      ['third-party/bincopy/in.hex', '-intel'],
      ['third-party/bincopy/in.s19', '-motorola'],
      ['third-party/bincopy/non_sorted_segments.s19', '-motorola'],
      ['third-party/fwupd/firmware.srec', '-motorola'],
      ['blinky.hex', '-intel'],
      ['blinky.srec', '-motorola'],
    ];
    for (const [path, inputFormat] of files) {
      const tool = srecCatToHex(fixtureText(path), inputFormat);
      expect(tool.status, `${path}: ${tool.stderr}`).toBe(0);
      sameImage(loadFirmware(fixtureBytes(path), { fileName: path }).image, parseIntelHex(tool.hex).image);
    }
  });
});

describe('compared with arm-none-eabi-objcopy', () => {
  if (!hasObjcopy)
    it.skip('arm-none-eabi-objcopy is not installed (apt-get install binutils-arm-none-eabi): these comparisons are skipped', () => {});

  function objcopyHex(path: string): MemoryImage {
    const output = join(folder, `objcopy-${fileNumber++}.hex`);
    const input = join(folder, `objcopy-${fileNumber++}.elf`);
    writeFileSync(input, fixtureBytes(path));
    const result = spawnSync('arm-none-eabi-objcopy', ['-O', 'ihex', input, output], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    return loadFirmware(new Uint8Array(readFileSync(output)), { fileName: 'objcopy.hex' }).image;
  }

  it.skipIf(!hasObjcopy)('loads a GNU-linked ELF exactly as objcopy -O ihex writes it', () => {
    sameImage(loadFirmware(fixtureBytes('blinky.elf'), { fileName: 'blinky.elf' }).image, objcopyHex('blinky.elf'));
  });

  it.skipIf(!hasObjcopy)(
    "holds the same bytes as objcopy for Keil's ELF, but keeps RW data at its load address in flash where objcopy uses the RAM address",
    () => {
      const ours = loadFirmware(fixtureBytes('third-party/bincopy/keil.out'), { fileName: 'keil.out' }).image;
      const theirs = objcopyHex('third-party/bincopy/keil.out');
      // The same bytes in the same order...
      const all = (image: MemoryImage) => image.blocks.flatMap((block) => Array.from(block.data));
      expect(all(ours)).toEqual(all(theirs));
      // ...but objcopy puts armlink's RW data section at its run address in RAM (0x20000000 and up),
      // which a flash programmer cannot write; the program header says it is stored in flash.
      const moved = theirs.blocks.filter((block) => block.start >= 0x20000000);
      expect(moved).toHaveLength(1);
      expect(ours.blocks.every((block) => block.start < 0x20000000)).toBe(true);
      expect(ours.slice({ start: ours.end - moved[0]!.data.length, end: ours.end }).blocks[0]!.data).toEqual(
        moved[0]!.data,
      );
    },
  );
});
