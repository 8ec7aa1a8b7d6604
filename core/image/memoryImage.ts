import { DfuError } from '../errors.js';
import { concatBytes } from '../bytes.js';
import { formatAddress } from '../format.js';

/** Half-open address range: `end` is exclusive. Used everywhere in DFU Desk. */
export interface AddressRange {
  readonly start: number;
  readonly end: number;
}

/** A contiguous run of bytes at an absolute 32-bit address. */
export interface Block {
  readonly start: number;
  readonly data: Uint8Array;
}

export function rangeOf(block: Block): AddressRange {
  return { start: block.start, end: block.start + block.data.length };
}

export function rangesOverlap(a: AddressRange, b: AddressRange): boolean {
  return a.start < b.end && b.start < a.end;
}

/** Sorted, with touching or overlapping ranges merged. */
export function mergeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: AddressRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) out[out.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** Bytes in all of `ranges` (assumed not to overlap). */
export function totalLength(ranges: readonly AddressRange[]): number {
  return ranges.reduce((n, r) => n + rangeLength(r), 0);
}

/** The parts of `range` the image does not cover, in address order. */
export function complementIn(range: AddressRange, image: MemoryImage): AddressRange[] {
  const out: AddressRange[] = [];
  let cursor = range.start;
  for (const r of image.slice(range).ranges) {
    if (r.start > cursor) out.push({ start: cursor, end: r.start });
    cursor = r.end;
  }
  if (cursor < range.end) out.push({ start: cursor, end: range.end });
  return out;
}

export function rangeLength(range: AddressRange): number {
  return range.end - range.start;
}

const ADDRESS_LIMIT = 0x1_0000_0000;

/**
 * A sparse firmware image: ordered, non-overlapping, non-adjacent blocks (adjacent ones are
 * merged). Immutable: every operation returns a new image and never copies block data it does not
 * have to. Gaps are real gaps, never filler, so an image spanning flash and data EEPROM stays small.
 */
export class MemoryImage {
  readonly blocks: readonly Block[];

  private constructor(blocks: readonly Block[]) {
    this.blocks = blocks;
  }

  static readonly empty = new MemoryImage([]);

  /**
   * Builds an image from blocks in any order. Overlapping blocks are an error (the caller knows
   * where each came from and should report it with locations; this is the last line of defence).
   */
  static fromBlocks(blocks: Iterable<Block>): MemoryImage {
    const sorted = [...blocks].filter((b) => b.data.length > 0).sort((a, b) => a.start - b.start);
    const merged: Block[] = [];
    const pending: Uint8Array[] = [];
    let runStart = 0;
    let runEnd = 0;
    const flush = () => {
      if (pending.length === 0) return;
      merged.push({ start: runStart, data: pending.length === 1 ? pending[0]! : concatBytes(pending) });
      pending.length = 0;
    };
    for (const block of sorted) {
      if (!Number.isInteger(block.start) || block.start < 0 || block.start + block.data.length > ADDRESS_LIMIT) {
        throw new DfuError({
          kind: 'image-format',
          format: 'image',
          reason: `block at ${formatAddress(block.start)} (${block.data.length} bytes) does not fit in the 32-bit address space`,
        });
      }
      if (pending.length > 0 && block.start < runEnd) {
        throw new DfuError({
          kind: 'image-format',
          format: 'image',
          reason: `blocks overlap at ${formatAddress(block.start)}`,
        });
      }
      if (pending.length === 0 || block.start !== runEnd) {
        flush();
        runStart = block.start;
      }
      pending.push(block.data);
      runEnd = block.start + block.data.length;
    }
    flush();
    return new MemoryImage(merged);
  }

  static fromBytes(start: number, data: Uint8Array): MemoryImage {
    return MemoryImage.fromBlocks([{ start, data }]);
  }

  get isEmpty(): boolean {
    return this.blocks.length === 0;
  }

  /** Number of bytes actually present (gaps excluded). */
  get size(): number {
    // Immutable, so counted once: callers ask often, and an image may have many blocks.
    this.#size ??= this.blocks.reduce((sum, b) => sum + b.data.length, 0);
    return this.#size;
  }

  #size: number | undefined;

  /** Lowest address present; 0 for an empty image. */
  get start(): number {
    return this.blocks[0]?.start ?? 0;
  }

  /** One past the highest address present; 0 for an empty image. */
  get end(): number {
    const last = this.blocks[this.blocks.length - 1];
    return last ? last.start + last.data.length : 0;
  }

  get ranges(): AddressRange[] {
    return this.blocks.map(rangeOf);
  }

  contains(address: number): boolean {
    return this.blockIndexAt(address) >= 0;
  }

  /** True when every address of `range` is present. */
  covers(range: AddressRange): boolean {
    if (range.end <= range.start) return true;
    const index = this.blockIndexAt(range.start);
    if (index < 0) return false;
    const block = this.blocks[index]!;
    return block.start + block.data.length >= range.end;
  }

  byteAt(address: number): number | undefined {
    const index = this.blockIndexAt(address);
    return index < 0 ? undefined : this.blocks[index]!.data[address - this.blocks[index]!.start];
  }

  /** The part of the image inside `range` (views, not copies). */
  slice(range: AddressRange): MemoryImage {
    // Starts at the first block that ends after range.start (binary search) and stops at the first
    // that starts at or after range.end: callers slice per sector, so a scan of every block per call
    // would make planning an image of many blocks quadratic.
    const out: Block[] = [];
    const blocks = this.blocks;
    for (let index = this.firstBlockEndingAfter(range.start); index < blocks.length; index++) {
      const block = blocks[index]!;
      if (block.start >= range.end) break;
      const blockEnd = block.start + block.data.length;
      if (block.start >= range.start && blockEnd <= range.end) {
        out.push(block); // wholly inside: the block itself, no new view
        continue;
      }
      const start = Math.max(block.start, range.start);
      const end = Math.min(blockEnd, range.end);
      if (start < end) out.push({ start, data: block.data.subarray(start - block.start, end - block.start) });
    }
    return new MemoryImage(out);
  }

  /** `range` as one buffer, gaps filled with `fill`. */
  read(range: AddressRange, fill: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, range.end - range.start)).fill(fill);
    for (const block of this.slice(range).blocks) out.set(block.data, block.start - range.start);
    return out;
  }

  /**
   * Grows each block outward to multiples of `alignment`, filling with `fill`. Blocks that then
   * touch or overlap are merged; gaps inside an aligned unit are filled too.
   */
  aligned(alignment: number, fill: number): MemoryImage {
    if (alignment <= 1 || this.isEmpty) return this;
    const units: AddressRange[] = [];
    for (const { start, end } of this.ranges) {
      const alignedStart = Math.floor(start / alignment) * alignment;
      const alignedEnd = Math.min(ADDRESS_LIMIT, Math.ceil(end / alignment) * alignment);
      const last = units[units.length - 1];
      if (last && alignedStart <= last.end) units[units.length - 1] = { start: last.start, end: Math.max(last.end, alignedEnd) };
      else units.push({ start: alignedStart, end: alignedEnd });
    }
    // One walk over the blocks, in step with the units (both are in address order).
    const out: Block[] = [];
    let index = 0;
    for (const unit of units) {
      const data = new Uint8Array(unit.end - unit.start).fill(fill);
      for (; index < this.blocks.length && this.blocks[index]!.start < unit.end; index++) {
        const block = this.blocks[index]!;
        data.set(block.data, block.start - unit.start);
      }
      out.push({ start: unit.start, data });
    }
    return new MemoryImage(out);
  }

  /** Union of two images; overlapping bytes are an error. */
  join(other: MemoryImage): MemoryImage {
    return MemoryImage.fromBlocks([...this.blocks, ...other.blocks]);
  }

  /** A copy with `range` taken out. */
  without(range: AddressRange): MemoryImage {
    return MemoryImage.fromBlocks([
      ...this.slice({ start: 0, end: range.start }).blocks,
      ...this.slice({ start: range.end, end: ADDRESS_LIMIT }).blocks,
    ]);
  }

  /** Index of the first block whose end is above `address` (blocks.length when there is none). */
  private firstBlockEndingAfter(address: number): number {
    let low = 0;
    let high = this.blocks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const block = this.blocks[mid]!;
      if (block.start + block.data.length <= address) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Index of the block holding `address`, or -1. Binary search: images can have many blocks. */
  private blockIndexAt(address: number): number {
    let low = 0;
    let high = this.blocks.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const block = this.blocks[mid]!;
      if (address < block.start) high = mid - 1;
      else if (address >= block.start + block.data.length) low = mid + 1;
      else return mid;
    }
    return -1;
  }
}
