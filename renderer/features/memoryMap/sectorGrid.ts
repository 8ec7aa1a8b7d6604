// Pure geometry for the memory map: a region's sectors as flat typed arrays, and which of them the
// image covers, the plan erases and the verify found different. Typed arrays and binary search keep
// a 1536-sector L0 or a 2048-sector H7 map at a few microseconds per update.
import type { AddressRange } from '../../../core/contract/programmer.js';
import type { MemoryRegion } from '../../../core/dfuse/memoryLayout.js';

export interface SectorTable {
  readonly count: number;
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  /** bit0 readable, bit1 erasable, bit2 writable (the DfuSe type-letter bits). */
  readonly access: Uint8Array;
  readonly segmentOf: Uint16Array;
}

export const READABLE = 1;
export const ERASABLE = 2;
export const WRITABLE = 4;

export function sectorTable(region: MemoryRegion): SectorTable {
  const count = region.segments.reduce((sum, segment) => sum + segment.sectorCount, 0);
  const starts = new Float64Array(count);
  const ends = new Float64Array(count);
  const access = new Uint8Array(count);
  const segmentOf = new Uint16Array(count);
  let index = 0;
  region.segments.forEach((segment, segmentIndex) => {
    const bits = (segment.readable ? READABLE : 0) | (segment.erasable ? ERASABLE : 0) | (segment.writable ? WRITABLE : 0);
    for (let n = 0; n < segment.sectorCount; n++, index++) {
      starts[index] = segment.start + n * segment.sectorSize;
      ends[index] = segment.start + (n + 1) * segment.sectorSize;
      access[index] = bits;
      segmentOf[index] = segmentIndex;
    }
  });
  return { count, starts, ends, access, segmentOf };
}

/** Index of the first sector whose end is above `address` (may be `count`). */
export function firstSectorEndingAfter(table: SectorTable, address: number): number {
  let low = 0;
  let high = table.count;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (table.ends[mid]! <= address) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Calls `visit(index, overlapBytes)` for each sector overlapping the half-open range. */
export function forEachOverlap(table: SectorTable, range: AddressRange, visit: (index: number, overlapBytes: number) => void): void {
  for (let index = firstSectorEndingAfter(table, range.start); index < table.count && table.starts[index]! < range.end; index++) {
    const overlap = Math.min(range.end, table.ends[index]!) - Math.max(range.start, table.starts[index]!);
    if (overlap > 0) visit(index, overlap);
  }
}

export const COVER_NONE = 0;
export const COVER_PARTIAL = 1;
export const COVER_FULL = 2;

export interface SectorMarks {
  /** COVER_NONE / COVER_PARTIAL / COVER_FULL. */
  readonly coverage: Uint8Array;
  readonly willErase: Uint8Array;
  /** Erased by the plan, only partly covered by the image, and not preserved: foreign data is lost. */
  readonly losesData: Uint8Array;
  readonly mismatch: Uint8Array;
}

export interface MarkInput {
  readonly imageRanges?: readonly AddressRange[];
  readonly eraseRanges?: readonly AddressRange[];
  readonly preserveRanges?: readonly AddressRange[];
  readonly mismatchRanges?: readonly AddressRange[];
}

export function markSectors(table: SectorTable, input: MarkInput): SectorMarks {
  const covered = new Float64Array(table.count);
  for (const range of input.imageRanges ?? []) forEachOverlap(table, range, (index, bytes) => (covered[index] = covered[index]! + bytes));
  const coverage = new Uint8Array(table.count);
  for (let index = 0; index < table.count; index++) {
    const size = table.ends[index]! - table.starts[index]!;
    coverage[index] = covered[index]! <= 0 ? COVER_NONE : covered[index]! >= size ? COVER_FULL : COVER_PARTIAL;
  }
  const willErase = flagRanges(table, input.eraseRanges);
  const preserved = flagRanges(table, input.preserveRanges);
  const losesData = new Uint8Array(table.count);
  for (let index = 0; index < table.count; index++) {
    losesData[index] = willErase[index] && coverage[index] === COVER_PARTIAL && !preserved[index] ? 1 : 0;
  }
  return { coverage, willErase, losesData, mismatch: flagRanges(table, input.mismatchRanges) };
}

function flagRanges(table: SectorTable, ranges: readonly AddressRange[] | undefined): Uint8Array {
  const flags = new Uint8Array(table.count);
  for (const range of ranges ?? []) forEachOverlap(table, range, (index) => (flags[index] = 1));
  return flags;
}

export function countFlags(flags: Uint8Array, value = 1): number {
  let count = 0;
  for (const flag of flags) if (flag === value) count++;
  return count;
}

export interface GridLayout {
  readonly cell: number;
  readonly gap: number;
  readonly columns: number;
  readonly rows: number;
  readonly width: number;
  readonly height: number;
}

const CELL_SIZES = [28, 20, 16, 12, 10, 8, 6, 5, 4, 3];

/** The largest cell size at which every sector fits in `maxHeight` (the smallest one otherwise). */
export function gridLayout(count: number, width: number, maxHeight: number): GridLayout {
  for (const cell of CELL_SIZES) {
    const gap = cell >= 8 ? 2 : 1;
    const columns = Math.max(1, Math.floor((width + gap) / (cell + gap)));
    const rows = Math.max(1, Math.ceil(count / columns));
    const height = rows * (cell + gap) - gap;
    if (height <= maxHeight || cell === CELL_SIZES[CELL_SIZES.length - 1]) {
      return { cell, gap, columns, rows, width: Math.min(width, columns * (cell + gap) - gap), height };
    }
  }
  throw new Error('unreachable');
}

/** The sector under a point of the grid, or undefined between cells or past the end. */
export function sectorAtPoint(layout: GridLayout, count: number, x: number, y: number): number | undefined {
  const pitch = layout.cell + layout.gap;
  const column = Math.floor(x / pitch);
  const row = Math.floor(y / pitch);
  if (column < 0 || column >= layout.columns || row < 0 || x - column * pitch > layout.cell || y - row * pitch > layout.cell) return undefined;
  const index = row * layout.columns + column;
  return index < count ? index : undefined;
}
