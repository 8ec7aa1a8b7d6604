import { writeU32LE } from '../bytes.js';
import { diffImages } from './diff.js';
import { MemoryImage } from './memoryImage.js';

const BASE = 0x08000000;

function code(length: number, seed = 3): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = 1 + ((x >>> 16) % 253);
  }
  return out;
}

const at = (data: Uint8Array, start = BASE) => MemoryImage.fromBytes(start, data);
const sectorOf = (address: number) => (address >= BASE && address < BASE + 0x30000 ? Math.floor((address - BASE) / 128) : undefined);

describe('diffImages', () => {
  it('reports a match', () => {
    const data = code(1000);
    const report = diffImages(at(data), at(data.slice()), { erasedValue: 0xff });
    expect(report).toMatchObject({ isMatch: true, bytesCompared: 1000, mismatchCount: 0, mismatchRanges: [], sectorsWithMismatch: [], samples: [] });
    expect(report.diagnosis).toEqual({ kind: 'match', message: 'all 1000 bytes match' });
    expect(report.firstMismatch).toBeUndefined();
  });

  it('counts mismatches, merges their ranges, names sectors and takes 16-byte aligned samples', () => {
    const expected = code(1024);
    const actual = expected.slice();
    for (const i of [5, 6, 7, 300, 900]) actual[i] = actual[i]! ^ 0x0f;
    const report = diffImages(at(expected), at(actual), { erasedValue: 0x00, sectorOf });
    expect(report.mismatchCount).toBe(5);
    expect(report.mismatchRanges).toEqual([
      { start: BASE + 5, end: BASE + 8 },
      { start: BASE + 300, end: BASE + 301 },
      { start: BASE + 900, end: BASE + 901 },
    ]);
    expect(report.firstMismatch).toBe(BASE + 5);
    expect(report.sectorsWithMismatch).toEqual([0, 2, 7]);
    expect(report.samples.map((s) => s.address)).toEqual([BASE, BASE + 288, BASE + 896]);
    expect(report.samples[0]!.expected).toEqual(expected.subarray(0, 32));
    expect(report.samples[0]!.actual).toEqual(actual.subarray(0, 32));
  });

  it('diagnoses un-erased pages from the previous content (the founding case, old reset vector kept)', () => {
    const previous = code(4096, 9);
    writeU32LE(previous, 0, 0x20005000);
    writeU32LE(previous, 4, 0x0800c329);
    const expected = code(4096, 10);
    writeU32LE(expected, 0, 0x20005000);
    writeU32LE(expected, 4, 0x0800c38d);
    const report = diffImages(at(expected), at(previous.slice()), { erasedValue: 0x00, previous: at(previous) });
    expect(report.firstMismatch).toBe(BASE + 4);
    expect(report.diagnosis).toMatchObject({ kind: 'not-erased', evidence: 'previous-content' });
    expect(report.diagnosis.message).toMatch(/first at 0x08000004: these sectors were not erased before writing/);
  });

  it('diagnoses un-erased L0 pages without knowing the previous content (old data kept, neither image nor erased)', () => {
    const old = code(2048, 21);
    const expected = code(2048, 22);
    expected.set(old.subarray(0, 4));
    const report = diffImages(at(expected), at(old), { erasedValue: 0x00, rewriteBehaviour: 'keep-old' });
    expect(report.firstMismatch).toBe(BASE + 4);
    expect(report.diagnosis).toMatchObject({ kind: 'not-erased', evidence: 'old-kept' });
    expect(report.diagnosis.message).toMatch(/sectors not erased, old data still present/);
    // Without the family rule the same bytes are only "unknown".
    expect(diffImages(at(expected), at(old), { erasedValue: 0x00 }).diagnosis.kind).toBe('unknown');
  });

  it('diagnoses F4 writes over un-erased flash from the AND pattern', () => {
    const old = code(2048, 31);
    const expected = code(2048, 32);
    const actual = expected.map((b, i) => b & old[i]!);
    const report = diffImages(at(expected), at(actual), { erasedValue: 0xff, rewriteBehaviour: 'and' });
    expect(report.diagnosis).toMatchObject({ kind: 'not-erased', evidence: 'and-of-old' });
  });

  it('diagnoses a write that did not land (reads as the erased value everywhere)', () => {
    const expected = code(3000);
    const report = diffImages(at(expected), at(new Uint8Array(3000).fill(0xff)), { erasedValue: 0xff });
    expect(report.diagnosis.kind).toBe('write-did-not-land');
    expect(report.diagnosis.message).toMatch(/erased value 0xFF, first at 0x08000000: the write did not land/);
  });

  it('diagnoses a write that stopped part way (correct prefix, erased rest)', () => {
    const expected = code(8192);
    const actual = expected.slice();
    actual.fill(0x00, 5000);
    const report = diffImages(at(expected), at(actual), { erasedValue: 0x00 });
    expect(report.diagnosis).toMatchObject({ kind: 'partial', writtenUpTo: BASE + 5000 });
  });

  it('finds an image written at the wrong base address', () => {
    const expected = code(16 * 1024);
    const device = new Uint8Array(16 * 1024 + 4096).fill(0xff);
    device.set(expected, 256); // programmed 256 bytes too high
    const actual = at(device.subarray(0, 16 * 1024));
    const report = diffImages(at(expected), actual, { erasedValue: 0xff });
    expect(report.diagnosis).toMatchObject({ kind: 'shifted', offset: 256 });
    expect(report.diagnosis.message).toBe(
      "the image is shifted by 256 bytes: the board holds these bytes 256 bytes higher (the image's 0x08000000 is at 0x08000100 on the board); check the base address",
    );

    const low = new Uint8Array(16 * 1024).fill(0xff);
    low.set(expected.subarray(64), 0); // programmed 64 bytes too low
    expect(diffImages(at(expected), at(low), { erasedValue: 0xff }).diagnosis).toMatchObject({ kind: 'shifted', offset: -64 });
  });

  it('finds a shift of any small number of bytes (1 to 64), the smallest when several fit', () => {
    const expected = code(4096);
    for (const offset of [1, -2, 3, 17, -63]) {
      const device = new Uint8Array(4096 + 128).fill(0xff);
      device.set(expected, 64 + offset);
      const report = diffImages(at(expected, BASE + 64), at(device), { erasedValue: 0xff });
      expect(report.diagnosis).toMatchObject({ kind: 'shifted', offset });
    }
  });

  it('after a verify only, blames no erase: other firmware, no firmware, or an earlier write that stopped', () => {
    const expected = code(4096, 1);
    const other = code(4096, 2);
    expect(diffImages(at(expected), at(other), { erasedValue: 0x00, rewriteBehaviour: 'keep-old', context: 'verify-only' }).diagnosis).toEqual({
      kind: 'different-firmware',
      message: 'the board holds different firmware: 4086 of 4096 bytes differ, first at 0x08000000 (nothing was written; flash this image to replace it)',
    });
    // The same bytes after a write on L0 mean un-erased pages.
    expect(diffImages(at(expected), at(other), { erasedValue: 0x00, rewriteBehaviour: 'keep-old' }).diagnosis.kind).toBe('not-erased');
    expect(diffImages(at(expected), at(new Uint8Array(4096)), { erasedValue: 0x00, context: 'verify-only' }).diagnosis).toMatchObject({
      kind: 'not-flashed',
      message: expect.stringMatching(/^the board reads the erased value 0x00 where the image differs .*: this image is not on the board$/),
    });
    const half = expected.slice();
    half.fill(0, 2048);
    expect(diffImages(at(expected), at(half), { erasedValue: 0x00, context: 'verify-only' }).diagnosis).toMatchObject({ kind: 'partial', writtenUpTo: BASE + 2048 });
  });

  it('counts bytes that were not read back as missing mismatches', () => {
    const expected = code(100);
    const report = diffImages(at(expected), at(expected.slice(0, 60)), { erasedValue: 0xff });
    expect(report).toMatchObject({ mismatchCount: 40, missingBytes: 40, firstMismatch: BASE + 60, mismatchRanges: [{ start: BASE + 60, end: BASE + 100 }] });
    expect(report.diagnosis.kind).toBe('missing');
  });

  it('compares sparse images block by block and ignores actual bytes outside the expected ones', () => {
    const expected = MemoryImage.fromBlocks([
      { start: BASE, data: code(64, 1) },
      { start: BASE + 0x1000, data: code(64, 2) },
    ]);
    const actual = MemoryImage.fromBytes(BASE, expected.read({ start: BASE, end: BASE + 0x1040 }, 0x77));
    expect(diffImages(expected, actual, { erasedValue: 0xff })).toMatchObject({ isMatch: true, bytesCompared: 128 });
  });
});
