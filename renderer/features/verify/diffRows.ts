// The rows of the side-by-side diff: 16 bytes each, expected next to actual. A source is either
// the report's samples (windows around mismatches, with gap rows between them) or two whole
// buffers, where rows are views into the buffers and nothing is copied — 2 MiB is 131,072 rows.
import type { VerifyReport } from '../../../core/api.js';

export const ROW_BYTES = 16;

export type DiffRow =
  | { readonly kind: 'bytes'; readonly address: number; readonly expected: Uint8Array; readonly actual: Uint8Array }
  | { readonly kind: 'gap'; readonly start: number; readonly end: number };

export interface DiffRows {
  readonly count: number;
  row(index: number): DiffRow;
  /** Ascending indexes of rows that hold at least one differing byte. */
  readonly mismatchRows: Int32Array;
  /** The first row at or after `address` (count when none). */
  rowAtOrAfter(address: number): number;
}

/** Rows from two equally long buffers starting at `start`. */
export function rowsFromBuffers(start: number, expected: Uint8Array, actual: Uint8Array): DiffRows {
  const length = Math.min(expected.length, actual.length);
  const count = Math.ceil(length / ROW_BYTES);
  const mismatching: number[] = [];
  for (let index = 0; index < count; index++) {
    const end = Math.min(length, (index + 1) * ROW_BYTES);
    for (let offset = index * ROW_BYTES; offset < end; offset++) {
      if (expected[offset] !== actual[offset]) {
        mismatching.push(index);
        break;
      }
    }
  }
  return {
    count,
    mismatchRows: Int32Array.from(mismatching),
    row(index) {
      const from = index * ROW_BYTES;
      const to = Math.min(length, from + ROW_BYTES);
      return { kind: 'bytes', address: start + from, expected: expected.subarray(from, to), actual: actual.subarray(from, to) };
    },
    rowAtOrAfter(address) {
      return Math.min(count, Math.max(0, Math.ceil((address - start) / ROW_BYTES)));
    },
  };
}

/** Rows from the report's samples: 16-byte rows, duplicates merged, a gap row between windows. */
export function rowsFromSamples(samples: VerifyReport['samples']): DiffRows {
  const byAddress = new Map<number, { expected: Uint8Array; actual: Uint8Array }>();
  for (const sample of samples) {
    const length = Math.min(sample.expected.length, sample.actual.length);
    for (let offset = 0; offset < length; offset += ROW_BYTES) {
      const address = sample.address + offset;
      if (byAddress.has(address)) continue;
      const end = Math.min(length, offset + ROW_BYTES);
      byAddress.set(address, { expected: sample.expected.subarray(offset, end), actual: sample.actual.subarray(offset, end) });
    }
  }
  const rows: DiffRow[] = [];
  let previousEnd: number | undefined;
  for (const address of [...byAddress.keys()].sort((a, b) => a - b)) {
    const bytes = byAddress.get(address)!;
    if (previousEnd !== undefined && address > previousEnd) rows.push({ kind: 'gap', start: previousEnd, end: address });
    rows.push({ kind: 'bytes', address, ...bytes });
    previousEnd = address + bytes.expected.length;
  }
  const mismatchRows = Int32Array.from(rows.flatMap((row, index) => (row.kind === 'bytes' && rowDiffers(row.expected, row.actual) ? [index] : [])));
  return {
    count: rows.length,
    mismatchRows,
    row: (index) => rows[index]!,
    rowAtOrAfter(address) {
      const index = rows.findIndex((row) => (row.kind === 'bytes' ? row.address + row.expected.length : row.end) > address);
      return index < 0 ? rows.length : index;
    },
  };
}

function rowDiffers(expected: Uint8Array, actual: Uint8Array): boolean {
  for (let index = 0; index < expected.length; index++) if (expected[index] !== actual[index]) return true;
  return false;
}

/** The next (direction 1) or previous (-1) mismatching row from `current`, wrapping around. */
export function stepMismatch(mismatchRows: Int32Array, current: number | undefined, direction: 1 | -1): number | undefined {
  if (mismatchRows.length === 0) return undefined;
  if (current === undefined) return direction === 1 ? mismatchRows[0] : mismatchRows[mismatchRows.length - 1];
  // Binary search for the first mismatch row strictly after (or before) `current`.
  let low = 0;
  let high = mismatchRows.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (mismatchRows[mid]! <= current) low = mid + 1;
    else high = mid;
  }
  if (direction === 1) return mismatchRows[low < mismatchRows.length ? low : 0];
  const before = mismatchRows[low - 1] === current ? low - 2 : low - 1;
  return mismatchRows[before >= 0 ? before : mismatchRows.length - 1];
}
