// DfuSe memory-layout strings (the alt-setting names of ST's DfuSe bootloaders) as regions of
// segments and sectors.
//
// Grammar (UM0290/UM0424): @<name>/<0xADDR>/<count>*<size><mult><type>[,...][/<0xADDR>/...]
// Real ST bootloaders break it in many ways (reference §3.4), and strict parsers that refuse those
// strings are what made the ST tools skip the L0 erase (reference §7.3). This parser accepts every
// deviation seen in the wild and reports each correction as a LayoutWarning instead.
import { DfuError } from '../errors.js';
import { formatAddress } from '../format.js';
import type { AddressRange } from '../image/memoryImage.js';

/** One run of equal sectors from the descriptor string. `end` is exclusive. */
export interface Segment {
  readonly start: number;
  readonly end: number;
  readonly sectorSize: number;
  readonly sectorCount: number;
  /** From the type letter's bitmask: a=r, b=e, c=r+e, d=w, e=r+w, f=e+w, g=r+e+w. */
  readonly readable: boolean;
  readonly erasable: boolean;
  readonly writable: boolean;
}

/** A correction the parser made; `position` is the index in the original string. */
export interface LayoutWarning {
  readonly position: number;
  readonly message: string;
}

/** One alt setting, e.g. "Internal Flash". */
export interface MemoryRegion {
  /** Trimmed of the bootloader's padding spaces. */
  readonly name: string;
  /** Sorted by start, non-overlapping; gaps between address blocks are possible. */
  readonly segments: readonly Segment[];
}

export interface ParsedLayout {
  readonly region: MemoryRegion;
  readonly warnings: readonly LayoutWarning[];
}

/** One erase unit. `index` counts from 0 across the whole region. */
export interface Sector {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly segment: Segment;
}

const ADDRESS_LIMIT = 0x1_0000_0000;

// UM0290 field widths; ST's own bootloaders exceed both (L0 `1536*128g`, L4 `0256*0002Kg`).
const GRAMMAR_COUNT_DIGITS = 2;
const GRAMMAR_SIZE_DIGITS = 3;
// Anything longer cannot describe a 32-bit address space and is refused before any arithmetic.
const MAX_NUMBER_DIGITS = 10;

const MULTIPLIERS: Readonly<Record<string, number>> = { B: 1, K: 1024, M: 1024 * 1024 };

/** Access bits of a type letter: bit0 readable, bit1 erasable, bit2 writable (dfu-util `memtype & 7`). */
export function accessOfTypeLetter(letter: string): { readable: boolean; erasable: boolean; writable: boolean } | undefined {
  if (letter.length !== 1 || letter < 'a' || letter > 'g') return undefined;
  const bits = letter.charCodeAt(0) - 0x60;
  return { readable: (bits & 1) !== 0, erasable: (bits & 2) !== 0, writable: (bits & 4) !== 0 };
}

/** The type letter for a segment's access flags, or undefined when it has none (not expressible). */
export function typeLetterOf(segment: Pick<Segment, 'readable' | 'erasable' | 'writable'>): string | undefined {
  const bits = (segment.readable ? 1 : 0) | (segment.erasable ? 2 : 0) | (segment.writable ? 4 : 0);
  return bits === 0 ? undefined : String.fromCharCode(0x60 + bits);
}

class Cursor {
  position = 0;
  readonly warnings: LayoutWarning[] = [];

  constructor(
    readonly input: string,
    readonly end: number,
  ) {}

  get atEnd(): boolean {
    return this.position >= this.end;
  }

  peek(offset = 0): string {
    const index = this.position + offset;
    return index < this.end ? this.input[index]! : '';
  }

  warn(message: string, position = this.position): void {
    this.warnings.push({ position, message });
  }

  fail(reason: string, position = this.position): never {
    throw new DfuError({ kind: 'layout-format', input: this.input, position, reason });
  }

  /** Skips blanks; returns how many were skipped. */
  skipSpaces(): number {
    const from = this.position;
    while (!this.atEnd && isBlank(this.peek())) this.position++;
    return this.position - from;
  }

  readWhile(predicate: (ch: string) => boolean): string {
    const from = this.position;
    while (!this.atEnd && predicate(this.peek())) this.position++;
    return this.input.slice(from, this.position);
  }
}

function isBlank(ch: string): boolean {
  return ch === ' ' || ch === '\t';
}

function isDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9';
}

function isHexDigit(ch: string): boolean {
  return isDigit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

function describeChar(ch: string): string {
  if (ch === '') return 'the end of the string';
  if (ch === ' ') return 'a space';
  const code = ch.charCodeAt(0);
  return code < 0x20 || code === 0x7f ? `character 0x${code.toString(16).padStart(2, '0')}` : `'${ch}'`;
}

/**
 * Parses one DfuSe alt-setting string. Lenient where real bootloaders deviate from the grammar
 * (each deviation becomes a warning); throws DfuError kind 'layout-format' naming the position
 * when the string cannot be read as a layout at all.
 */
export function parseMemoryLayout(descriptor: string): ParsedLayout {
  // String descriptors decoded leniently may carry NUL padding (reference §2.8 item 5).
  let end = descriptor.length;
  while (end > 0 && (descriptor[end - 1] === '\0' || isBlank(descriptor[end - 1]!) || descriptor[end - 1] === '\r' || descriptor[end - 1] === '\n')) end--;
  const cursor = new Cursor(descriptor, end);
  if (end < descriptor.length && descriptor.slice(end).includes('\0')) {
    cursor.warn('NUL characters at the end of the string ignored', end);
  }
  if (cursor.atEnd) cursor.fail('the string is empty', 0);

  const name = readName(cursor);
  const segments: Segment[] = [];
  while (!cursor.atEnd) {
    // cursor is on the '/' that opens an address block
    const blockSegments = readAddressBlock(cursor);
    segments.push(...blockSegments);
  }
  if (segments.length === 0) cursor.fail('the layout describes no sectors', cursor.position);

  const sorted = sortAndCheck(segments, cursor);
  const corrected = applyNameQuirks(name, sorted, cursor);
  return { region: { name, segments: corrected }, warnings: cursor.warnings };
}

function readName(cursor: Cursor): string {
  cursor.skipSpaces();
  if (cursor.peek() === '@') {
    cursor.position++;
  } else {
    cursor.warn("no '@' at the start: read as a DfuSe memory layout anyway");
  }
  const nameStart = cursor.position;
  const slash = cursor.input.indexOf('/', nameStart);
  if (slash < 0 || slash >= cursor.end) cursor.fail("no '/' after the name: the string has no address", cursor.end);
  // dfu-util reads the name with @%[^/], so a '/' inside a name breaks it. Prefer the first '/'
  // that is followed by a hex address, so a name such as "Flash A/B" still parses.
  let nameEnd = slash;
  if (!/^\/\s*0[xX]/.test(cursor.input.slice(slash, cursor.end))) {
    const match = /\/\s*0[xX][0-9a-fA-F]/.exec(cursor.input.slice(slash + 1, cursor.end));
    if (match) {
      nameEnd = slash + 1 + match.index;
      cursor.warn("the name contains '/': the name was taken up to the '/' before the first address", slash);
    }
  }
  const name = cursor.input.slice(nameStart, nameEnd).trim();
  cursor.position = nameEnd;
  return name;
}

function readAddressBlock(cursor: Cursor): Segment[] {
  if (cursor.peek() !== '/') cursor.fail(`expected '/' before an address, found ${describeChar(cursor.peek())}`);
  cursor.position++;
  if (cursor.atEnd) {
    cursor.warn("trailing '/' ignored", cursor.position - 1);
    return [];
  }
  let address = readAddress(cursor);
  if (cursor.skipSpaces() > 0 && cursor.peek() === '/') cursor.warn('spaces after the address ignored');
  if (cursor.peek() !== '/') cursor.fail(`expected '/' after the address, found ${describeChar(cursor.peek())}`);
  cursor.position++;

  const segments: Segment[] = [];
  for (;;) {
    const segment = readGroup(cursor, address);
    if (segment) {
      segments.push(segment);
      address = segment.end;
    }
    cursor.skipSpaces();
    const ch = cursor.peek();
    if (ch === '') break;
    if (ch === '/') break;
    if (ch !== ',') cursor.fail(`unexpected ${describeChar(ch)} after a sector group`);
    cursor.position++;
    const afterComma = cursor.position;
    cursor.skipSpaces();
    if (cursor.atEnd || cursor.peek() === ',' || cursor.peek() === '/') {
      cursor.warn("trailing ',' ignored", afterComma - 1);
      while (cursor.peek() === ',' || isBlank(cursor.peek())) cursor.position++;
      break;
    }
  }
  return segments;
}

function readAddress(cursor: Cursor): number {
  if (cursor.skipSpaces() > 0) cursor.warn('spaces before the address ignored');
  const start = cursor.position;
  if (cursor.peek() === '0' && (cursor.peek(1) === 'x' || cursor.peek(1) === 'X')) {
    cursor.position += 2;
  } else if (isHexDigit(cursor.peek())) {
    cursor.warn("address has no '0x' prefix: read as hexadecimal", start);
  } else {
    cursor.fail(`expected a hexadecimal address such as 0x08000000, found ${describeChar(cursor.peek())}`);
  }
  const digitsStart = cursor.position;
  const digits = cursor.readWhile(isHexDigit);
  if (digits.length === 0) cursor.fail(`expected hexadecimal digits after '0x', found ${describeChar(cursor.peek())}`);
  const significant = digits.replace(/^0+(?=.)/, '');
  if (significant.length > 8) cursor.fail(`address 0x${digits} does not fit in 32 bits`, digitsStart);
  if (digits.length > 8) cursor.warn(`address 0x${digits} has more than 8 digits: leading zeros ignored`, digitsStart);
  return Number.parseInt(significant, 16);
}

function readNumber(cursor: Cursor, what: string): { value: number; digits: string; position: number } {
  const position = cursor.position;
  const digits = cursor.readWhile(isDigit);
  if (digits.length === 0) cursor.fail(`expected the ${what} (decimal digits), found ${describeChar(cursor.peek())}`);
  if (digits.replace(/^0+(?=.)/, '').length > MAX_NUMBER_DIGITS) {
    cursor.fail(`${what} ${digits} is too large for a 32-bit address space`, position);
  }
  return { value: Number.parseInt(digits, 10), digits, position };
}

/** Reads `count*size[mult]type`; returns undefined for a group with no sectors. */
function readGroup(cursor: Cursor, address: number): Segment | undefined {
  if (cursor.skipSpaces() > 0) cursor.warn('spaces before the sector count ignored');
  const groupStart = cursor.position;
  const count = readNumber(cursor, 'sector count');
  if (count.digits.length > GRAMMAR_COUNT_DIGITS) {
    cursor.warn(`sector count ${count.digits} has ${count.digits.length} digits; the DfuSe grammar allows ${GRAMMAR_COUNT_DIGITS}`, count.position);
  }
  if (cursor.peek() !== '*') cursor.fail(`expected '*' after the sector count, found ${describeChar(cursor.peek())}`);
  cursor.position++;
  const size = readNumber(cursor, 'sector size');
  if (size.digits.length > GRAMMAR_SIZE_DIGITS) {
    cursor.warn(`sector size ${size.digits} has ${size.digits.length} digits; the DfuSe grammar allows ${GRAMMAR_SIZE_DIGITS}`, size.position);
  }

  const { multiplier, type, typePosition } = readMultiplierAndType(cursor);
  const access = accessOfTypeLetter(type);
  if (!access) cursor.fail(`type letter '${type}' is not one of a-g`, typePosition);

  const sectorSize = size.value * multiplier;
  if (sectorSize === 0) cursor.fail('sector size is 0', size.position);
  if (sectorSize >= ADDRESS_LIMIT) cursor.fail(`sector size ${sectorSize} does not fit in a 32-bit address space`, size.position);
  if (count.value === 0) {
    cursor.warn(`group ${cursor.input.slice(groupStart, cursor.position)} has no sectors: ignored`, groupStart);
    return undefined;
  }
  // count ≤ 10^10 and sectorSize < 2^32, so the product is exact enough to compare with 2^32.
  const end = address + count.value * sectorSize;
  if (end > ADDRESS_LIMIT) {
    cursor.fail(`${count.value} sectors of ${sectorSize} bytes from ${formatAddress(address)} run past the 32-bit address space`, groupStart);
  }
  return { start: address, end, sectorSize, sectorCount: count.value, ...access };
}

function readMultiplierAndType(cursor: Cursor): { multiplier: number; type: string; typePosition: number } {
  const first = cursor.peek();
  const firstPosition = cursor.position;
  let multiplier = 1;
  if (first in MULTIPLIERS) {
    multiplier = MULTIPLIERS[first]!;
    cursor.position++;
  } else if (first === 'k' || first === 'm') {
    multiplier = MULTIPLIERS[first.toUpperCase()]!;
    cursor.warn(`multiplier '${first}' is lower case: read as '${first.toUpperCase()}'`);
    cursor.position++;
  } else if (isBlank(first)) {
    // ST's own bootloaders use a space for bytes (`01*016 e`); fwupd: "byte, ST reference bootloader".
    const spaces = cursor.skipSpaces();
    if (spaces > 1) cursor.warn(`${spaces} spaces between the size and the type letter: read as bytes`, firstPosition);
  } else if (accessOfTypeLetter(first) || (first >= 'A' && first <= 'G')) {
    // L0 `1536*128g`, F72x OTP `01*528e`. dfu-util: "Non-valid multiplier 'g', interpreted as type identifier instead".
    cursor.warn(`no size multiplier before '${first}': sizes read as bytes`);
  } else {
    cursor.fail(`expected a size multiplier (B, K, M or a space) or a type letter, found ${describeChar(first)}`);
  }
  if (multiplier !== 1 && isBlank(cursor.peek())) {
    cursor.skipSpaces();
    cursor.warn('spaces between the multiplier and the type letter ignored');
  }
  const typePosition = cursor.position;
  let type = cursor.peek();
  if (type >= 'A' && type <= 'G') {
    cursor.warn(`type letter '${type}' is upper case: read as '${type.toLowerCase()}'`);
    type = type.toLowerCase();
  }
  if (type === '' || type === ',' || type === '/') cursor.fail('missing type letter (a-g) after the sector size');
  cursor.position++;
  return { multiplier, type, typePosition };
}

function sortAndCheck(segments: Segment[], cursor: Cursor): Segment[] {
  const sorted = [...segments].sort((a, b) => a.start - b.start);
  if (sorted.some((segment, i) => segment !== segments[i])) {
    cursor.warn('address blocks are not in ascending order: sorted by address', 0);
  }
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    const current = sorted[i]!;
    if (current.start < previous.end) {
      cursor.fail(`sectors at ${formatAddress(current.start)} overlap sectors that end at ${formatAddress(previous.end)}`, 0);
    }
  }
  return sorted;
}

function applyNameQuirks(name: string, segments: Segment[], cursor: Cursor): Segment[] {
  // dfu-util dfuse_mem.c forces "Device Feature" to type 'e': old F4 bootloaders (bcdDevice 0x2100)
  // mark this 4-byte virtual area 'g', and erasing it is wrong (reference §3.2 item 4, §8).
  if (name.toLowerCase() !== 'device feature' || !segments.some((s) => s.erasable)) return segments;
  cursor.warn("'Device Feature' is marked erasable: treated as read/write only ('e'), as dfu-util does", 0);
  return segments.map((s) => ({ ...s, erasable: false, readable: true, writable: true }));
}

// Cumulative sector index of each segment, computed once per (immutable) segment list.
const firstIndexCache = new WeakMap<readonly Segment[], readonly number[]>();

function firstIndexes(segments: readonly Segment[]): readonly number[] {
  let cached = firstIndexCache.get(segments);
  if (!cached) {
    const out: number[] = [];
    let index = 0;
    for (const segment of segments) {
      out.push(index);
      index += segment.sectorCount;
    }
    cached = out;
    firstIndexCache.set(segments, cached);
  }
  return cached;
}

/** Index of the segment containing `address`, or -1. Binary search: segments are sorted. */
function segmentIndexAt(segments: readonly Segment[], address: number): number {
  let low = 0;
  let high = segments.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const segment = segments[mid]!;
    if (address < segment.start) high = mid - 1;
    else if (address >= segment.end) low = mid + 1;
    else return mid;
  }
  return -1;
}

/** Index of the first segment whose end is above `address` (segments are sorted). */
function firstSegmentEndingAfter(segments: readonly Segment[], address: number): number {
  let low = 0;
  let high = segments.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (segments[mid]!.end <= address) low = mid + 1;
    else high = mid;
  }
  return low;
}

function sectorOf(segment: Segment, segmentFirstIndex: number, within: number): Sector {
  const start = segment.start + within * segment.sectorSize;
  return { index: segmentFirstIndex + within, start, end: start + segment.sectorSize, segment };
}

/** The segment containing `address`, or undefined. */
export function segmentAt(region: MemoryRegion, address: number): Segment | undefined {
  const index = segmentIndexAt(region.segments, address);
  return index < 0 ? undefined : region.segments[index];
}

/** The sector containing `address`. O(log segments): no per-sector iteration. */
export function sectorAt(region: MemoryRegion, address: number): Sector | undefined {
  const index = segmentIndexAt(region.segments, address);
  if (index < 0) return undefined;
  const segment = region.segments[index]!;
  return sectorOf(segment, firstIndexes(region.segments)[index]!, Math.floor((address - segment.start) / segment.sectorSize));
}

/** The sector with the given region-wide index. */
export function sectorByIndex(region: MemoryRegion, index: number): Sector | undefined {
  const firsts = firstIndexes(region.segments);
  for (let i = region.segments.length - 1; i >= 0; i--) {
    const segment = region.segments[i]!;
    if (index >= firsts[i]! && index < firsts[i]! + segment.sectorCount) return sectorOf(segment, firsts[i]!, index - firsts[i]!);
  }
  return undefined;
}

/** Every sector overlapping the half-open `range`, ascending. Allocates only the sectors returned. */
export function sectorsIn(region: MemoryRegion, range: AddressRange): Sector[] {
  const out: Sector[] = [];
  if (range.end <= range.start) return out;
  const segments = region.segments;
  const firsts = firstIndexes(segments);
  for (let i = firstSegmentEndingAfter(segments, range.start); i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.start >= range.end) break;
    const from = Math.max(range.start, segment.start);
    const to = Math.min(range.end, segment.end);
    const firstWithin = Math.floor((from - segment.start) / segment.sectorSize);
    const lastWithin = Math.floor((to - 1 - segment.start) / segment.sectorSize);
    for (let within = firstWithin; within <= lastWithin; within++) out.push(sectorOf(segment, firsts[i]!, within));
  }
  return out;
}

/** Total number of sectors in the region. */
export function sectorCountOf(region: MemoryRegion): number {
  return region.segments.reduce((sum, segment) => sum + segment.sectorCount, 0);
}

/** First segment start .. last segment end (gaps between address blocks included). */
export function regionRange(region: MemoryRegion): AddressRange {
  const first = region.segments[0];
  const last = region.segments[region.segments.length - 1];
  return first && last ? { start: first.start, end: last.end } : { start: 0, end: 0 };
}

function formatSectorSize(size: number): string {
  // Largest unit that keeps the number whole: ST writes 016K, 128K, and bytes as `032 ` or `40B`.
  if (size % (1024 * 1024) === 0) return `${String(size / (1024 * 1024)).padStart(GRAMMAR_SIZE_DIGITS, '0')}M`;
  if (size % 1024 === 0) return `${String(size / 1024).padStart(GRAMMAR_SIZE_DIGITS, '0')}K`;
  return `${String(size).padStart(GRAMMAR_SIZE_DIGITS, '0')}B`;
}

/**
 * The canonical DfuSe string for a region: two spaces after the name (as ST's older bootloaders
 * write it), zero-padded fields, an explicit 'B' for bytes, a new address block after each gap.
 * parseMemoryLayout(formatLayout(r)).region equals r.
 */
export function formatLayout(region: MemoryRegion): string {
  let out = `@${region.name}  `;
  let next: number | undefined;
  for (const segment of region.segments) {
    const type = typeLetterOf(segment);
    if (type === undefined) {
      throw new DfuError({
        kind: 'invalid-argument',
        argument: 'region',
        reason: `segment at ${formatAddress(segment.start)} has no access flags; DfuSe type letters cannot express that`,
      });
    }
    out += segment.start === next ? ',' : `/${formatAddress(segment.start)}/`;
    out += `${String(segment.sectorCount).padStart(GRAMMAR_COUNT_DIGITS, '0')}*${formatSectorSize(segment.sectorSize)}${type}`;
    next = segment.end;
  }
  return out;
}
