// The rows of the side-by-side diff: 16 bytes each, expected next to actual. A source is the
// whole mismatch (every mismatch range with a little context, bytes fetched from main window by
// window as rows come into view), the report's samples (windows around the first mismatches, the
// fallback), or two whole buffers. Rows are views into the buffers: nothing is copied, and
// 2 MiB is 131,072 rows.
import type { AddressRange, VerifyReport } from '../../../core/contract/programmer.js';

export const ROW_BYTES = 16;
/** Rows of matching bytes shown before and after each mismatch range. */
export const CONTEXT_ROWS = 2;
/** Byte-presence flags in a window's mask: the image has a byte there / the device read one back. */
export const HAS_EXPECTED = 1;
export const HAS_ACTUAL = 2;

export type DiffRow =
  | {
      readonly kind: 'bytes';
      readonly address: number;
      readonly expected: Uint8Array;
      readonly actual: Uint8Array;
      /** HAS_EXPECTED | HAS_ACTUAL per byte; absent when every byte is there on both sides. */
      readonly mask?: Uint8Array;
    }
  | { readonly kind: 'loading'; readonly address: number }
  | { readonly kind: 'gap'; readonly start: number; readonly end: number; readonly reason: 'not-sampled' | 'no-differences' };

/** Bytes main sent for one window of the last verification (see Programmer.readVerifyBytes). */
export interface ByteWindow {
  readonly start: number;
  readonly expected: Uint8Array;
  readonly actual: Uint8Array;
  readonly mask: Uint8Array;
}

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
    if (previousEnd !== undefined && address > previousEnd) rows.push({ kind: 'gap', start: previousEnd, end: address, reason: 'not-sampled' });
    rows.push({ kind: 'bytes', address, ...bytes });
    previousEnd = address + bytes.expected.length;
  }
  const mismatchRows = Int32Array.from(rows.flatMap((row, index) => (row.kind === 'bytes' && rowDiffers(row.expected, row.actual) ? [index] : [])));
  return {
    count: rows.length,
    mismatchRows,
    row: (index) => rows[index]!,
    rowAtOrAfter(address) {
      const index = rows.findIndex((row) => (row.kind === 'bytes' ? row.address + row.expected.length : row.kind === 'gap' ? row.end : row.address + ROW_BYTES) > address);
      return index < 0 ? rows.length : index;
    },
  };
}

/** A stretch of rows with bytes: a mismatch range grown to whole rows plus context. */
interface Span {
  readonly start: number;
  end: number;
  firstRow: number;
}

/**
 * Where the rows of the whole mismatch go: one span per (merged) mismatch range, a gap row
 * between spans. Computed once per report; the bytes come later (rowsFromMismatches).
 */
export interface MismatchLayout {
  readonly count: number;
  /** The first row of each difference (mismatch range), ascending, one entry per row. */
  readonly differenceRows: Int32Array;
  /** The address of a bytes row, undefined for a gap row. */
  addressOf(index: number): number | undefined;
  row(index: number): { readonly kind: 'bytes'; readonly address: number } | { readonly kind: 'gap'; readonly start: number; readonly end: number };
  rowAtOrAfter(address: number): number;
}

const ADDRESS_LIMIT = 0x1_0000_0000;
const alignDown = (address: number) => address - (address % ROW_BYTES);
const alignUp = (address: number) => Math.min(ADDRESS_LIMIT, alignDown(address + ROW_BYTES - 1));

export function mismatchLayout(ranges: readonly AddressRange[]): MismatchLayout {
  const context = CONTEXT_ROWS * ROW_BYTES;
  const spans: Span[] = [];
  const spanOfRange: number[] = [];
  for (const range of ranges) {
    const start = Math.max(0, alignDown(range.start) - context);
    const end = Math.min(ADDRESS_LIMIT, alignUp(range.end) + context);
    const last = spans[spans.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else spans.push({ start, end, firstRow: 0 });
    spanOfRange.push(spans.length - 1);
  }
  let count = 0;
  for (const [index, span] of spans.entries()) {
    if (index > 0) count += 1; // the gap row before this span
    span.firstRow = count;
    count += (span.end - span.start) / ROW_BYTES;
  }
  const differenceRows: number[] = [];
  ranges.forEach((range, index) => {
    const span = spans[spanOfRange[index]!]!;
    const row = span.firstRow + (alignDown(range.start) - span.start) / ROW_BYTES;
    if (differenceRows[differenceRows.length - 1] !== row) differenceRows.push(row);
  });

  /** The index of the last span whose first row is at or before `index` (-1: none). */
  const spanAtRow = (index: number): number => {
    let low = 0;
    let high = spans.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (spans[mid]!.firstRow <= index) low = mid + 1;
      else high = mid;
    }
    return low - 1;
  };
  const addressOf = (index: number): number | undefined => {
    const span = spans[spanAtRow(index)];
    if (!span || index < 0 || index >= count) return undefined;
    const address = span.start + (index - span.firstRow) * ROW_BYTES;
    return address < span.end ? address : undefined;
  };
  return {
    count,
    differenceRows: Int32Array.from(differenceRows),
    addressOf,
    row(index) {
      const address = addressOf(index);
      if (address !== undefined) return { kind: 'bytes', address };
      const at = Math.max(0, spanAtRow(index));
      const span = spans[at]!;
      return { kind: 'gap', start: span.end, end: spans[at + 1]?.start ?? span.end };
    },
    rowAtOrAfter(address) {
      // The first span that ends after `address`.
      let low = 0;
      let high = spans.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (spans[mid]!.end <= address) low = mid + 1;
        else high = mid;
      }
      const span = spans[low];
      if (!span) return count;
      if (address <= span.start) return span.firstRow;
      return span.firstRow + Math.floor((address - span.start) / ROW_BYTES);
    },
  };
}

/** The rows of the whole mismatch, with the bytes of the windows fetched so far. */
export function rowsFromMismatches(layout: MismatchLayout, windowAt: (address: number) => ByteWindow | undefined): DiffRows {
  return {
    count: layout.count,
    mismatchRows: layout.differenceRows,
    rowAtOrAfter: (address) => layout.rowAtOrAfter(address),
    row(index) {
      const place = layout.row(index);
      if (place.kind === 'gap') return { ...place, reason: 'no-differences' };
      const window = windowAt(place.address);
      if (!window) return { kind: 'loading', address: place.address };
      const from = place.address - window.start;
      const to = Math.min(window.expected.length, from + ROW_BYTES);
      return {
        kind: 'bytes',
        address: place.address,
        expected: window.expected.subarray(from, to),
        actual: window.actual.subarray(from, to),
        mask: window.mask.subarray(from, to),
      };
    },
  };
}

/** A window as main sent it, with the presence of each byte folded into one mask. */
export function byteWindow(bytes: { start: number; expected: Uint8Array; actual: Uint8Array; expectedRanges: readonly AddressRange[]; actualRanges: readonly AddressRange[] }): ByteWindow {
  const mask = new Uint8Array(bytes.expected.length);
  const mark = (ranges: readonly AddressRange[], flag: number) => {
    for (const range of ranges) {
      const from = Math.max(0, range.start - bytes.start);
      const to = Math.min(mask.length, range.end - bytes.start);
      for (let offset = from; offset < to; offset++) mask[offset]! |= flag;
    }
  };
  mark(bytes.expectedRanges, HAS_EXPECTED);
  mark(bytes.actualRanges, HAS_ACTUAL);
  return { start: bytes.start, expected: bytes.expected, actual: bytes.actual, mask };
}

/** Whether byte `offset` of a row differs: a value on one side only counts (a byte not read back). */
export function byteDiffers(row: Extract<DiffRow, { kind: 'bytes' }>, offset: number): boolean {
  const mask = row.mask?.[offset] ?? HAS_EXPECTED | HAS_ACTUAL;
  const hasExpected = (mask & HAS_EXPECTED) !== 0;
  const hasActual = (mask & HAS_ACTUAL) !== 0;
  if (hasExpected !== hasActual) return true;
  return hasExpected && row.expected[offset] !== row.actual[offset];
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
