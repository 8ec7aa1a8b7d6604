import { describe, expect, it } from 'vitest';
import { ROW_BYTES, rowsFromBuffers, rowsFromSamples, stepMismatch } from './diffRows.js';

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
    expect(rows.row(3)).toEqual({ kind: 'gap', start: 0x08000030, end: 0x08001000 });
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
