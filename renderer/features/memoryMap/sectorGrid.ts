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

// ---------------------------------------------------------------------------------------------
// To scale: the region as rows of equal address spans, so a 128 KiB sector is eight times as wide
// as a 16 KiB one (a sector longer than a row continues on the next). The left axis names each
// row's start address, the top axis the offsets within a row. Under each row, when the device's
// content is known, a thin band shows it.

export interface ScaleLayout {
  readonly width: number;
  readonly height: number;
  /** Left axis: the row start addresses. */
  readonly labelWidth: number;
  /** Top axis: offsets within a row. */
  readonly axisHeight: number;
  readonly plotWidth: number;
  /** Address of the left edge of the first row. */
  readonly start: number;
  readonly end: number;
  readonly rowBytes: number;
  readonly rows: number;
  /** The plan band of a row (image, erase, loss, mismatch). */
  readonly rowHeight: number;
  /** The device-content band under it (0 without that layer). */
  readonly contentHeight: number;
  readonly rowGap: number;
}

const ROW_HEIGHTS = [24, 18, 14, 11, 8, 6];
/** Rows hold no more bytes than keep the smallest sector this wide (fewer rows, readable cells). */
const MIN_SECTOR_PX = 24;
const LABEL_WIDTH = 86;
const AXIS_HEIGHT = 14;

/**
 * Rows of a power-of-two number of bytes (the whole span when it fits in one row), as tall as fit
 * in `maxHeight`, preferring rows in which the smallest sector is still 2 px wide.
 */
export function scaleLayout(table: SectorTable, width: number, maxHeight: number, hasContent: boolean): ScaleLayout {
  const first = table.count > 0 ? table.starts[0]! : 0;
  const last = table.count > 0 ? table.ends[table.count - 1]! : 1;
  const span = Math.max(1, last - first);
  let smallest = span;
  for (let index = 0; index < table.count; index++) smallest = Math.min(smallest, table.ends[index]! - table.starts[index]!);
  const plotWidth = Math.max(40, width - LABEL_WIDTH);
  let fallback: ScaleLayout | undefined;
  for (const rowHeight of ROW_HEIGHTS) {
    const contentHeight = hasContent ? Math.max(3, Math.round(rowHeight / 3)) : 0;
    const rowGap = rowHeight >= 11 ? 4 : 2;
    const pitch = rowHeight + contentHeight + rowGap;
    const maxRows = Math.max(1, Math.floor((maxHeight - AXIS_HEIGHT + rowGap) / pitch));
    // The fewest bytes a row may hold to fit, and the most that keep the smallest sector readable.
    let need = 1;
    while (need * maxRows < span) need *= 2;
    let want = 1;
    while (want * 2 * MIN_SECTOR_PX <= smallest * plotWidth) want *= 2;
    let rowBytes = Math.max(need, want);
    let start = first - (first % rowBytes);
    let rows = Math.ceil((last - start) / rowBytes);
    if (rows > maxRows) {
      rowBytes *= 2;
      start = first - (first % rowBytes);
      rows = Math.ceil((last - start) / rowBytes);
    }
    if (rows === 1 || rowBytes >= span) {
      rowBytes = span;
      start = first;
      rows = 1;
    }
    const layout: ScaleLayout = {
      width: LABEL_WIDTH + plotWidth,
      height: AXIS_HEIGHT + rows * pitch - rowGap,
      labelWidth: LABEL_WIDTH,
      axisHeight: AXIS_HEIGHT,
      plotWidth,
      start,
      end: last,
      rowBytes,
      rows,
      rowHeight,
      contentHeight,
      rowGap,
    };
    fallback = layout;
    if ((smallest * plotWidth) / rowBytes >= 2) return layout;
  }
  return fallback!;
}

export function rowPitch(layout: ScaleLayout): number {
  return layout.rowHeight + layout.contentHeight + layout.rowGap;
}

export interface RowPiece {
  readonly row: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
}

/** Where a half-open address range is drawn: one piece per row it crosses (x, y of the plan band). */
export function rangePieces(layout: ScaleLayout, range: AddressRange): RowPiece[] {
  const pieces: RowPiece[] = [];
  const from = Math.max(range.start, layout.start);
  const to = Math.min(range.end, layout.start + layout.rows * layout.rowBytes);
  if (to <= from) return pieces;
  const scale = layout.plotWidth / layout.rowBytes;
  for (let row = Math.floor((from - layout.start) / layout.rowBytes); row < layout.rows; row++) {
    const rowStart = layout.start + row * layout.rowBytes;
    if (rowStart >= to) break;
    const a = Math.max(from, rowStart);
    const b = Math.min(to, rowStart + layout.rowBytes);
    pieces.push({ row, x: layout.labelWidth + (a - rowStart) * scale, y: layout.axisHeight + row * rowPitch(layout), width: (b - a) * scale });
  }
  return pieces;
}

/** The address under a point, or undefined off the rows (axes, gaps between rows). */
export function addressAtPoint(layout: ScaleLayout, x: number, y: number): number | undefined {
  const pitch = rowPitch(layout);
  const row = Math.floor((y - layout.axisHeight) / pitch);
  const within = y - layout.axisHeight - row * pitch;
  if (row < 0 || row >= layout.rows || within > layout.rowHeight + layout.contentHeight) return undefined;
  const offset = x - layout.labelWidth;
  if (offset < 0 || offset >= layout.plotWidth) return undefined;
  const address = layout.start + row * layout.rowBytes + Math.floor((offset * layout.rowBytes) / layout.plotWidth);
  return address < layout.end ? address : undefined;
}

/** The sector holding `address`, or undefined in a gap between segments. */
export function sectorAtAddress(table: SectorTable, address: number): number | undefined {
  const index = firstSectorEndingAfter(table, address);
  return index < table.count && table.starts[index]! <= address ? index : undefined;
}

/** What the device holds in a sector, when known: from a read, a verify or the plan's reads. */
export const CONTENT_UNKNOWN = 0;
export const CONTENT_BLANK = 1;
export const CONTENT_DATA = 2;
export const CONTENT_MATCHES = 3;
export const CONTENT_DIFFERS = 4;

export interface ContentInput {
  /** Ranges known to hold only the erased value. */
  readonly blankRanges?: readonly AddressRange[];
  /** Ranges known to hold other bytes. */
  readonly dataRanges?: readonly AddressRange[];
  /** Ranges a verification found equal to the image. */
  readonly matchRanges?: readonly AddressRange[];
  /** Ranges a verification found different. */
  readonly differRanges?: readonly AddressRange[];
}

/** One state per sector, the most telling known one winning: differs > matches > data > blank. */
export function contentOfSectors(table: SectorTable, input: ContentInput): Uint8Array {
  const states = new Uint8Array(table.count);
  const apply = (ranges: readonly AddressRange[] | undefined, state: number) => {
    for (const range of ranges ?? []) forEachOverlap(table, range, (index) => (states[index] = Math.max(states[index]!, state)));
  };
  apply(input.blankRanges, CONTENT_BLANK);
  apply(input.dataRanges, CONTENT_DATA);
  apply(input.matchRanges, CONTENT_MATCHES);
  apply(input.differRanges, CONTENT_DIFFERS);
  return states;
}

/** The ranges of `ranges` minus `holes` (both ascending, merged). */
export function subtractRanges(ranges: readonly AddressRange[], holes: readonly AddressRange[]): AddressRange[] {
  const out: AddressRange[] = [];
  let h = 0;
  for (const range of ranges) {
    let cursor = range.start;
    while (h < holes.length && holes[h]!.end <= cursor) h++;
    for (let k = h; k < holes.length && holes[k]!.start < range.end; k++) {
      if (holes[k]!.start > cursor) out.push({ start: cursor, end: holes[k]!.start });
      cursor = Math.max(cursor, holes[k]!.end);
    }
    if (cursor < range.end) out.push({ start: cursor, end: range.end });
  }
  return out;
}
