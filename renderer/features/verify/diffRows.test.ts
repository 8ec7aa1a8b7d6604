import { describe, expect, it } from 'vitest';
import { byteDiffers, byteWindow, CONTEXT_ROWS, mismatchLayout, ROW_BYTES, rowsFromBuffers, rowsFromMismatches, rowsFromSamples, stepMismatch } from './diffRows.js';

describe('rowsFromBuffers', () => {
  it('serves 2 MiB as 131,072 rows of views and finds the mismatching rows', () => {
    const size = 2 * 1024 * 1024;
    const expected = new Uint8Array(size).fill(0xab);
    const actual = expected.slice();
    actual[5] = 0;
    actual[size - 1] = 0;
    const rows = rowsFromBuffers(0x08000000, expected, actual);
    expect(rows.count).toBe(131_072);
    expect(Array.from(rows.mismatchRows)).toEqual([0, 131_071]);
    const last = rows.row(131_071);
    expect(last.kind === 'bytes' && last.address).toBe(0x08000000 + size - ROW_BYTES);
    expect(last.kind === 'bytes' && last.actual.buffer).toBe(actual.buffer);
    expect(rows.rowAtOrAfter(0x08000011)).toBe(2);
  });
});

describe('rowsFromSamples', () => {
  it('merges overlapping windows and puts a gap row between distant ones', () => {
    const window = (address: number, differAt: number) => {
      const expected = new Uint8Array(32).fill(1);
      const actual = expected.slice();
      actual[differAt] = 2;
      return { address, expected, actual };
    };
    const rows = rowsFromSamples([window(0x08000000, 4), window(0x08000010, 20), window(0x08001000, 0)]);
    expect(rows.count).toBe(6);
    expect(rows.row(3)).toEqual({ kind: 'gap', start: 0x08000030, end: 0x08001000, reason: 'not-sampled' });
    expect(Array.from(rows.mismatchRows)).toEqual([0, 2, 4]);
    expect(rows.rowAtOrAfter(0x08000800)).toBe(3);
  });
});

describe('stepMismatch', () => {
  const rows = Int32Array.from([3, 10, 40]);
  it('goes to the next and previous mismatch and wraps around', () => {
    expect(stepMismatch(rows, undefined, 1)).toBe(3);
    expect(stepMismatch(rows, 3, 1)).toBe(10);
    expect(stepMismatch(rows, 11, 1)).toBe(40);
    expect(stepMismatch(rows, 40, 1)).toBe(3);
    expect(stepMismatch(rows, 10, -1)).toBe(3);
    expect(stepMismatch(rows, 3, -1)).toBe(40);
    expect(stepMismatch(rows, 20, -1)).toBe(10);
    expect(stepMismatch(Int32Array.from([]), 0, 1)).toBeUndefined();
  });
});

describe('mismatchLayout and rowsFromMismatches', () => {
  const FLASH = 0x08000000;

  it('covers every mismatch range with context rows, one gap row between distant ones', () => {
    const layout = mismatchLayout([
      { start: FLASH + 0x04, end: FLASH + 0x08 },
      { start: FLASH + 0x0c, end: FLASH + 0x30 },
      { start: FLASH + 0x1f_fff0, end: FLASH + 0x20_0000 },
    ]);
    // First span 0x07FFFFE0..0x08000050: the rows holding both ranges plus the context rows on each side.
    const firstSpanRows = (0x30 + CONTEXT_ROWS * ROW_BYTES * 2) / ROW_BYTES;
    const lastSpanRows = (ROW_BYTES + CONTEXT_ROWS * ROW_BYTES * 2) / ROW_BYTES;
    expect(layout.count).toBe(firstSpanRows + 1 + lastSpanRows);
    expect(layout.addressOf(0)).toBe(FLASH - CONTEXT_ROWS * ROW_BYTES);
    // Two ranges start in row 0x08000000: one difference; the last range is the last difference.
    expect(Array.from(layout.differenceRows)).toEqual([CONTEXT_ROWS, firstSpanRows + 1 + CONTEXT_ROWS]);
    expect(layout.row(firstSpanRows)).toEqual({ kind: 'gap', start: FLASH + 0x50, end: FLASH + 0x1f_ffd0 });
    expect(layout.addressOf(firstSpanRows)).toBeUndefined();
    expect(layout.addressOf(firstSpanRows + 1 + CONTEXT_ROWS)).toBe(FLASH + 0x1f_fff0);
    expect(layout.rowAtOrAfter(FLASH + 0x1000)).toBe(firstSpanRows + 1);
    expect(layout.rowAtOrAfter(FLASH + 0x1f_fff5)).toBe(firstSpanRows + 1 + CONTEXT_ROWS);
    expect(layout.rowAtOrAfter(FLASH + 0x30_0000)).toBe(layout.count);
  });

  it('lays out a 2 MiB mismatch as 131,072 rows plus context', () => {
    const layout = mismatchLayout([{ start: FLASH, end: FLASH + 2 * 1024 * 1024 }]);
    expect(layout.count).toBe(131_072 + 2 * CONTEXT_ROWS);
    expect(Array.from(layout.differenceRows)).toEqual([CONTEXT_ROWS]);
  });

  it('shows loading rows until their window arrives, then views into it', () => {
    const layout = mismatchLayout([{ start: FLASH + 0x13, end: FLASH + 0x14 }]);
    const expected = new Uint8Array(64).fill(0xaa);
    const actual = expected.slice();
    actual[0x13] = 0x55;
    const window = byteWindow({
      start: FLASH,
      expected,
      actual,
      // The image starts at 0x08000008: the first 8 bytes exist on neither side.
      expectedRanges: [{ start: FLASH + 8, end: FLASH + 64 }],
      actualRanges: [{ start: FLASH + 8, end: FLASH + 64 }],
    });
    expect(rowsFromMismatches(layout, () => undefined).row(CONTEXT_ROWS)).toEqual({ kind: 'loading', address: FLASH + 0x10 });
    const rows = rowsFromMismatches(layout, (address) => (address >= FLASH && address < FLASH + 64 ? window : undefined));
    const row = rows.row(CONTEXT_ROWS);
    if (row.kind !== 'bytes') throw new Error(`expected bytes, got ${row.kind}`);
    expect(row.address).toBe(FLASH + 0x10);
    expect(row.actual.buffer).toBe(actual.buffer);
    expect([...Array(16).keys()].filter((offset) => byteDiffers(row, offset))).toEqual([3]);
    const first = rows.row(CONTEXT_ROWS - 1);
    if (first.kind !== 'bytes') throw new Error('expected bytes');
    expect(Array.from(first.mask!.subarray(0, 9))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 3]);
    expect([...Array(16).keys()].some((offset) => byteDiffers(first, offset))).toBe(false);
    expect(rows.row(0)).toEqual({ kind: 'loading', address: FLASH - 0x10 });
  });

  it('counts a byte on one side only as a difference', () => {
    const row = { kind: 'bytes' as const, address: 0, expected: Uint8Array.of(1, 2), actual: Uint8Array.of(1, 0), mask: Uint8Array.of(3, 1) };
    expect(byteDiffers(row, 0)).toBe(false);
    expect(byteDiffers(row, 1)).toBe(true);
  });
});
