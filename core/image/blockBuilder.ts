// Collects the data records of a text image format (Intel HEX, S-record) into blocks without one
// allocation per record: all bytes go into one buffer sized from the input, and a new run is
// started only when a record does not continue the previous one.

import { formatAddress, formatCount } from '../format.js';
import { MAX_IMAGE_BLOCKS } from './limits.js';
import type { Block } from './memoryImage.js';

/** Thrown by BlockBuilder.begin when an input holds more separate runs than an image may have. */
export class TooManyBlocksError extends Error {
  constructor(
    readonly line: number,
    readonly limit: number,
  ) {
    super(`more than ${formatCount(limit)} separate address ranges`);
  }
}

/** Where two records (or elements, segments) claim the same address. */
export interface Overlap {
  readonly address: number;
}

export class BlockBuilder {
  /** Parsers decode record bytes straight into this buffer at the offset begin() returns. */
  readonly buffer: Uint8Array;
  /** In locate mode: the lines of every record covering `locateAddress`, in file order. */
  readonly hits: number[] = [];

  private length = 0;
  private readonly runStarts: number[] = [];
  private readonly runEnds: number[] = [];
  private readonly runOffsets: number[] = [];
  private currentStart = 0;
  private currentEnd = -1;
  private currentOffset = 0;
  private isSorted = true;

  /**
   * `capacity` must bound the total data bytes; text formats use half the text length (two hex
   * digits per byte), so allocation never exceeds the input's size. `locateAddress` (>= 0) turns
   * on locate mode, used on the error path to name both records of an overlap.
   */
  constructor(
    capacity: number,
    private readonly locateAddress = -1,
    private readonly maxRuns = MAX_IMAGE_BLOCKS,
  ) {
    this.buffer = new Uint8Array(capacity);
  }

  /** Registers `count` bytes at `address` and returns where to write them in `buffer`. */
  begin(address: number, count: number, line: number): number {
    const offset = this.length;
    if (count === 0) return offset;
    if (address !== this.currentEnd) {
      this.closeRun();
      // Checked only when a run starts, so contiguous records cost nothing extra.
      if (this.runStarts.length >= this.maxRuns) throw new TooManyBlocksError(line, this.maxRuns);
      if (this.runEnds.length > 0 && address < this.runEnds[this.runEnds.length - 1]!) this.isSorted = false;
      this.currentStart = address;
      this.currentOffset = offset;
      this.currentEnd = address;
    }
    this.currentEnd += count;
    this.length += count;
    if (this.locateAddress >= address && this.locateAddress < address + count) this.hits.push(line);
    return offset;
  }

  /** The collected blocks in address order, adjacent runs merged, or the first address claimed twice. */
  finish(): { blocks: Block[]; overlap?: Overlap } {
    this.closeRun();
    const count = this.runStarts.length;
    const order = Array.from({ length: count }, (_, index) => index);
    if (!this.isSorted) order.sort((a, b) => this.runStarts[a]! - this.runStarts[b]!);
    let previousEnd = -1;
    for (const index of order) {
      if (this.runStarts[index]! < previousEnd) return { blocks: [], overlap: { address: this.runStarts[index]! } };
      previousEnd = this.runEnds[index]!;
    }
    // One copy, in address order, trims the buffer (sized for the worst case) to the bytes present
    // and puts adjacent runs next to each other, so each block is a view and nothing is copied again.
    const used = new Uint8Array(this.length);
    const blocks: Block[] = [];
    let written = 0;
    let blockStart = -1;
    let blockOffset = 0;
    let blockEnd = -1;
    for (const index of order) {
      const start = this.runStarts[index]!;
      const size = this.runEnds[index]! - start;
      if (start !== blockEnd) {
        if (blockStart >= 0) blocks.push({ start: blockStart, data: used.subarray(blockOffset, written) });
        blockStart = start;
        blockOffset = written;
      }
      used.set(this.buffer.subarray(this.runOffsets[index], this.runOffsets[index]! + size), written);
      written += size;
      blockEnd = start + size;
    }
    if (blockStart >= 0) blocks.push({ start: blockStart, data: used.subarray(blockOffset, written) });
    return { blocks };
  }

  private closeRun(): void {
    if (this.currentEnd <= this.currentStart) return;
    this.runStarts.push(this.currentStart);
    this.runEnds.push(this.currentEnd);
    this.runOffsets.push(this.currentOffset);
    this.currentStart = this.currentEnd;
  }
}

/**
 * Runs `scan` (one pass over a text image's records) into a BlockBuilder of `capacity` bytes. When
 * two records claim one address, it scans again in locate mode (the error path only) and fails
 * naming the lines of both records; `fail` adds the format and file.
 */
export function collectRecords<T>(
  capacity: number,
  scan: (builder: BlockBuilder) => T,
  fail: (line: number | undefined, reason: string) => never,
): { blocks: Block[]; scanned: T } {
  const builder = new BlockBuilder(capacity);
  let scanned: T;
  try {
    scanned = scan(builder);
  } catch (error) {
    if (!(error instanceof TooManyBlocksError)) throw error;
    return fail(
      error.line,
      `${error.message} (records that do not continue the one before): a firmware image has a few; this file is not one, or it is damaged`,
    );
  }
  const { blocks, overlap } = builder.finish();
  if (overlap) {
    const locator = new BlockBuilder(capacity, overlap.address);
    scan(locator);
    const [first, second] = locator.hits;
    fail(second, `${formatAddress(overlap.address)} is defined twice: on line ${first} and on line ${second}`);
  }
  return { blocks, scanned };
}

export interface LabelledRange {
  readonly start: number;
  readonly end: number;
  readonly label: string;
}

/** The first pair of ranges that overlap (by start address), for formats with few, named pieces. */
export function findOverlap<T extends LabelledRange>(ranges: readonly T[]): { first: T; second: T } | undefined {
  const sorted = ranges.filter((range) => range.end > range.start).sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const first = sorted[i - 1]!;
    const second = sorted[i]!;
    if (second.start < first.end) return { first, second };
  }
  return undefined;
}
