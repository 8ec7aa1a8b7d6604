// Verification diff (pure): compares what should be in memory with what was read back, and says
// in words what most likely went wrong. The founding failure (reference §7.3) is the model case:
// un-erased L0 flash kept its old data, and the first difference was the reset vector at 0x08000004.
import { formatAddress, formatHexByte } from '../format.js';
import type { AddressRange, MemoryImage } from './memoryImage.js';

export interface MismatchSample {
  /** Start of the window (16-byte aligned), not necessarily the first differing byte. */
  readonly address: number;
  readonly expected: Uint8Array;
  readonly actual: Uint8Array;
}

export type Diagnosis =
  | { readonly kind: 'match'; readonly message: string }
  | {
      readonly kind: 'not-erased';
      readonly message: string;
      /** previous-content: actual equals what was there before; and-of-old: bits only cleared (F1/F4); old-kept: L0/L1 NOTZEROERR. */
      readonly evidence: 'previous-content' | 'and-of-old' | 'old-kept';
    }
  | { readonly kind: 'write-did-not-land'; readonly message: string }
  | { readonly kind: 'shifted'; readonly offset: number; readonly message: string }
  | { readonly kind: 'partial'; readonly writtenUpTo: number; readonly message: string }
  | { readonly kind: 'missing'; readonly message: string }
  /** Verify only: the board holds other bytes (nothing was written, so no erase is to blame). */
  | { readonly kind: 'different-firmware'; readonly message: string }
  /** Verify only: where the image goes the board reads the erased value. */
  | { readonly kind: 'not-flashed'; readonly message: string }
  | { readonly kind: 'unknown'; readonly message: string };

export interface VerifyReport {
  readonly isMatch: boolean;
  readonly bytesCompared: number;
  readonly mismatchCount: number;
  /** Merged, ascending, half-open. */
  readonly mismatchRanges: readonly AddressRange[];
  readonly firstMismatch?: number;
  /** Region-wide sector indexes holding at least one mismatch (when sectorOf is given). */
  readonly sectorsWithMismatch: readonly number[];
  /** Expected bytes that were not read back at all (counted in mismatchCount). */
  readonly missingBytes: number;
  /** Expected vs actual windows around the first few mismatches, for the UI. */
  readonly samples: readonly MismatchSample[];
  readonly diagnosis: Diagnosis;
}

export interface DiffOptions {
  /** 0x00 on L0/L1, 0xFF elsewhere. */
  readonly erasedValue: number;
  /** Device content before the write, when known (differential/preserve reads). */
  readonly previous?: MemoryImage;
  /** Maps an address to its sector index; must increase with the address within a region. */
  readonly sectorOf?: (address: number) => number | undefined;
  /** What un-erased flash does on this family (devices/stm32.ts FamilyFacts.rewriteBehaviour). */
  readonly rewriteBehaviour?: 'keep-old' | 'and' | 'ecc-error';
  readonly maxSamples?: number;
  /** Largest base-address error tried when looking for a shifted image. Default 4096. */
  readonly maxShift?: number;
  /**
   * What happened before the read: 'after-write' (default: erase and write ran, so un-erased
   * sectors and lost writes are the suspects) or 'verify-only' (nothing was written: the board
   * holds other firmware, no firmware there, or this image at another address).
   */
  readonly context?: 'after-write' | 'verify-only';
}

/** Offsets tried byte by byte when looking for a shifted image (beyond it, multiples of 4). */
const BYTE_SHIFT_LIMIT = 64;

const SAMPLE_WINDOW = 32;

export function diffImages(expected: MemoryImage, actual: MemoryImage, options: DiffOptions): VerifyReport {
  const erased = options.erasedValue & 0xff;
  const ranges: AddressRange[] = [];
  let compared = 0;
  let mismatches = 0;
  let missing = 0;
  let readsErased = 0;
  let equalsPrevious = 0;
  let bitsOnlyCleared = 0;
  let runStart = -1;
  let runEnd = -1;
  const closeRun = () => {
    if (runStart >= 0) ranges.push({ start: runStart, end: runEnd });
    runStart = -1;
  };
  const mark = (address: number) => {
    mismatches++;
    if (runStart >= 0 && address === runEnd) runEnd++;
    else {
      closeRun();
      runStart = address;
      runEnd = address + 1;
    }
  };

  for (const block of expected.blocks) {
    const blockEnd = block.start + block.data.length;
    let cursor = block.start;
    for (const got of actual.slice({ start: block.start, end: blockEnd }).blocks) {
      for (; cursor < got.start; cursor++) {
        missing++;
        mark(cursor);
      }
      const gotEnd = got.start + got.data.length;
      const previous = options.previous?.slice({ start: got.start, end: gotEnd });
      for (let address = got.start; address < gotEnd; address++) {
        const want = block.data[address - block.start]!;
        const have = got.data[address - got.start]!;
        if (want === have) continue;
        mark(address);
        if (have === erased) readsErased++;
        if ((have & ~want & 0xff) === 0) bitsOnlyCleared++;
        if (previous && previous.byteAt(address) === have) equalsPrevious++;
      }
      cursor = gotEnd;
    }
    for (; cursor < blockEnd; cursor++) {
      missing++;
      mark(cursor);
    }
    compared += block.data.length;
  }
  closeRun();

  const firstMismatch = ranges[0]?.start;
  const report = {
    isMatch: mismatches === 0,
    bytesCompared: compared,
    mismatchCount: mismatches,
    mismatchRanges: ranges,
    firstMismatch,
    sectorsWithMismatch: options.sectorOf ? sectorsOf(ranges, options.sectorOf) : [],
    missingBytes: missing,
    samples: samplesOf(ranges, expected, actual, erased, options.maxSamples ?? 8),
  };
  const diagnosis = diagnose({
    expected,
    actual,
    erased,
    options,
    mismatches,
    missing,
    readsErased,
    equalsPrevious,
    bitsOnlyCleared,
    firstMismatch,
    compared,
  });
  return { ...report, diagnosis };
}

interface Evidence {
  expected: MemoryImage;
  actual: MemoryImage;
  erased: number;
  options: DiffOptions;
  mismatches: number;
  missing: number;
  readsErased: number;
  equalsPrevious: number;
  bitsOnlyCleared: number;
  firstMismatch: number | undefined;
  compared: number;
}

function diagnose(e: Evidence): Diagnosis {
  if (e.mismatches === 0) return { kind: 'match', message: `all ${e.compared} bytes match` };
  const first = formatAddress(e.firstMismatch!);
  const present = e.mismatches - e.missing;
  if (present === 0) return { kind: 'missing', message: `${e.missing} bytes were not read back` };
  const erasedText = `0x${formatHexByte(e.erased)}`;
  if (e.options.context === 'verify-only') return diagnoseVerifyOnly(e, first, present, erasedText);

  if (e.options.previous && e.equalsPrevious >= 0.8 * present) {
    return {
      kind: 'not-erased',
      evidence: 'previous-content',
      message: `${e.equalsPrevious} of ${present} differing bytes still hold the previous content, first at ${first}: these sectors were not erased before writing`,
    };
  }

  if (e.readsErased >= 0.95 * present) {
    if (stoppedPartWay(e)) {
      return {
        kind: 'partial',
        writtenUpTo: e.firstMismatch!,
        message: `the data up to ${first} is correct and everything after it reads as the erased value ${erasedText}: the write stopped part way`,
      };
    }
    return {
      kind: 'write-did-not-land',
      message: `${e.readsErased} differing bytes read as the erased value ${erasedText}, first at ${first}: the write did not land`,
    };
  }

  const shifted = shiftDiagnosis(e);
  if (shifted) return shifted;

  if (e.options.rewriteBehaviour === 'and' && e.bitsOnlyCleared >= 0.9 * present) {
    return {
      kind: 'not-erased',
      evidence: 'and-of-old',
      message: `the differing bytes, first at ${first}, have only bits cleared relative to the image (old AND new): these sectors were not erased before writing`,
    };
  }
  if (e.options.rewriteBehaviour === 'keep-old' && present - e.readsErased >= 0.8 * present) {
    return {
      kind: 'not-erased',
      evidence: 'old-kept',
      message: `the differing bytes, first at ${first}, are neither the image nor the erased value ${erasedText}: sectors not erased, old data still present`,
    };
  }
  return {
    kind: 'unknown',
    message: `${e.mismatches} bytes differ, first at ${first}; the pattern matches no known cause`,
  };
}

/**
 * Nothing was written: the bytes differ because the board holds something else. A read of only
 * erased values means the image was never flashed there; bytes found a few addresses away mean
 * the image was placed at the wrong address; anything else is other firmware.
 */
function diagnoseVerifyOnly(e: Evidence, first: string, present: number, erasedText: string): Diagnosis {
  if (e.readsErased >= 0.95 * present) {
    if (stoppedPartWay(e)) {
      return {
        kind: 'partial',
        writtenUpTo: e.firstMismatch!,
        message: `the board holds this image up to ${first}; from there on it reads the erased value ${erasedText}: an earlier write stopped part way`,
      };
    }
    return {
      kind: 'not-flashed',
      message: `the board reads the erased value ${erasedText} where the image differs (${e.readsErased} bytes, first at ${first}): this image is not on the board`,
    };
  }
  const shifted = shiftDiagnosis(e);
  if (shifted) return shifted;
  return {
    kind: 'different-firmware',
    message: `the board holds different firmware: ${e.mismatches} of ${e.compared} bytes differ, first at ${first} (nothing was written; flash this image to replace it)`,
  };
}

function shiftDiagnosis(e: Evidence): Diagnosis | undefined {
  const offset = findShift(e.expected, e.actual, e.erased, e.options.maxShift ?? 4096);
  if (offset === undefined) return undefined;
  const size = Math.abs(offset);
  const bytes = `${size} byte${size === 1 ? '' : 's'}`;
  const start = e.expected.start;
  return {
    kind: 'shifted',
    offset,
    message:
      `the image is shifted by ${bytes}: the board holds these bytes ${bytes} ${offset < 0 ? 'lower' : 'higher'} ` +
      `(the image's ${formatAddress(start)} is at ${formatAddress(start + offset)} on the board); check the base address`,
  };
}

/** Non-erased expected bytes before `address` (were there any bytes a write had to change?). */
/**
 * The image is on the board up to the first difference and reads erased from there on: some of it
 * landed before that address, and nearly every byte after it that should not be erased reads erased.
 */
function stoppedPartWay(e: Evidence): boolean {
  const landed = landedBefore(e.expected, e.firstMismatch!, e.erased);
  return landed > 0 && e.readsErased >= 0.98 * notErasedFrom(e.expected, e.firstMismatch!, e.erased);
}

function landedBefore(expected: MemoryImage, address: number, erased: number): number {
  let n = 0;
  for (const block of expected.slice({ start: 0, end: address }).blocks) for (const b of block.data) if (b !== erased) n++;
  return n;
}

function notErasedFrom(expected: MemoryImage, address: number, erased: number): number {
  let n = 0;
  for (const block of expected.slice({ start: address, end: 0x1_0000_0000 }).blocks) for (const b of block.data) if (b !== erased) n++;
  return n;
}

/**
 * Looks for a base-address error: tries every offset up to 64 bytes and multiples of 4 up to
 * `maxShift`, and accepts one when at least 95% of a spread sample of meaningful (non-erased) expected bytes are
 * found at that offset in the read-back data.
 */
function findShift(expected: MemoryImage, actual: MemoryImage, erased: number, maxShift: number): number | undefined {
  const positions: number[] = [];
  const total = expected.size;
  const step = Math.max(1, Math.floor(total / 1024));
  let seen = 0;
  for (const block of expected.blocks) {
    for (let i = 0; i < block.data.length; i++, seen++) {
      if (seen % step === 0 && block.data[i] !== erased) positions.push(block.start + i);
    }
  }
  if (positions.length < 16) return undefined;
  const lowest = expected.start - maxShift;
  const window = { start: Math.max(0, lowest), end: expected.end + maxShift };
  const covered = new Int16Array(window.end - window.start).fill(-1);
  for (const block of actual.slice(window).blocks) for (let i = 0; i < block.data.length; i++) covered[block.start - window.start + i] = block.data[i]!;
  let best: { offset: number; score: number } | undefined;
  // Every offset up to BYTE_SHIFT_LIMIT (a raw binary typed 1-3 bytes off), then multiples of 4;
  // the smallest offset wins a tie.
  const offsets: number[] = [];
  for (let size = 1; size <= maxShift; size += size < BYTE_SHIFT_LIMIT ? 1 : 4) offsets.push(-size, size);
  for (const offset of offsets) {
    let hits = 0;
    let tried = 0;
    for (const address of positions) {
      const index = address + offset - window.start;
      if (index < 0 || index >= covered.length || covered[index]! < 0) continue;
      tried++;
      if (covered[index] === expected.byteAt(address)) hits++;
    }
    if (tried >= Math.max(16, positions.length / 2) && hits >= 0.95 * tried && (!best || hits / tried > best.score)) {
      best = { offset, score: hits / tried };
    }
  }
  return best?.offset;
}

function sectorsOf(ranges: readonly AddressRange[], sectorOf: (address: number) => number | undefined): number[] {
  const found = new Set<number>();
  for (const range of ranges) {
    const first = sectorOf(range.start);
    const last = sectorOf(range.end - 1);
    if (first !== undefined && last !== undefined) {
      for (let i = first; i <= last; i++) found.add(i);
      continue;
    }
    for (let address = range.start; address < range.end; address++) {
      const index = sectorOf(address);
      if (index !== undefined) found.add(index);
    }
  }
  return [...found].sort((a, b) => a - b);
}

function samplesOf(ranges: readonly AddressRange[], expected: MemoryImage, actual: MemoryImage, erased: number, limit: number): MismatchSample[] {
  const out: MismatchSample[] = [];
  let coveredUpTo = -1;
  for (const range of ranges) {
    if (out.length >= limit) break;
    if (range.start < coveredUpTo) continue;
    const start = range.start - (range.start % 16);
    const window = { start, end: start + SAMPLE_WINDOW };
    out.push({ address: start, expected: expected.read(window, erased), actual: actual.read(window, erased) });
    coveredUpTo = window.end;
  }
  return out;
}
