// Intel HEX ⇄ MemoryImage (Intel "Hexadecimal Object File Format Specification" rev. A, 1988).
// The reader walks character codes directly and decodes every data byte straight into one buffer
// sized from the text (BlockBuilder), so a 2 MiB image costs no per-record allocation. Why our own
// reader rather than the intel-hex package: docs/image-formats.md.

import { DfuError } from '../errors.js';
import { formatAddress, formatHexByte } from '../format.js';
import { collectRecords, type BlockBuilder } from './blockBuilder.js';
import { HEX_PAIR_CODES, HEX_VALUE, describeChar } from './hexDigits.js';
import { MemoryImage } from './memoryImage.js';
import { CR, LF, SPACE, TAB, recordSyntaxError, textAfterRecord } from './recordSyntax.js';

/** Record types 05 (EIP, 32-bit) and 03 (CS:IP, 8086 real mode). */
export type HexStartAddress =
  | { readonly kind: 'linear'; readonly address: number }
  | { readonly kind: 'segment'; readonly cs: number; readonly ip: number };

export interface IntelHexParseResult {
  readonly image: MemoryImage;
  readonly startAddress?: HexStartAddress;
}

export interface IntelHexWriteOptions {
  /** Data bytes per 00 record, 1..255. Default 16, as objcopy and srec_cat write. */
  readonly bytesPerRecord?: number;
  readonly startAddress?: HexStartAddress;
  /** Default "\r\n", as objcopy writes. */
  readonly lineEnding?: '\n' | '\r\n';
}

const FORMAT = 'intel-hex';
const ADDRESS_LIMIT = 0x1_0000_0000;
const COLON = 0x3a;

/**
 * Parses Intel HEX text. Blank lines and spaces or tabs around records are tolerated; anything else
 * that is not a well-formed record is an error naming the line. With extended linear addresses
 * (type 04, or none at all) a record continues linearly across a 64 KiB boundary, as objcopy,
 * srec_cat and Python's intelhex read it, and must stay inside the 32-bit address space. After an
 * extended segment address (type 02) a record wraps inside its segment, as Intel's specification
 * and srec_cat say (objcopy continues into the next segment instead).
 */
export function parseIntelHex(text: string, options: { file?: string } = {}): IntelHexParseResult {
  const { blocks, scanned: startAddress } = collectRecords(
    text.length >>> 1,
    (builder) => scanIntelHex(text, builder, options.file),
    (line, reason) => fail(options.file, line, reason),
  );
  const image = MemoryImage.fromBlocks(blocks);
  return startAddress ? { image, startAddress } : { image };
}

function scanIntelHex(text: string, builder: BlockBuilder, file: string | undefined): HexStartAddress | undefined {
  const length = text.length;
  const hex = HEX_VALUE;
  const buffer = builder.buffer;
  const scratch = new Uint8Array(255);
  let pos = length > 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 byte-order mark
  let line = 1;
  let lineStart = pos;
  let lastRecordLine = 0;
  let base = 0;
  /** After a type 02 record (until a type 04): addresses wrap inside the 64 KiB segment. */
  let isSegmented = false;
  let eofLine = 0;
  let start: HexStartAddress | undefined;
  let startLine = 0;

  while (pos < length) {
    const code = text.charCodeAt(pos);
    if (code === LF) {
      pos++;
      line++;
      lineStart = pos;
      continue;
    }
    if (code === CR) {
      pos++;
      if (pos < length && text.charCodeAt(pos) === LF) pos++;
      line++;
      lineStart = pos;
      continue;
    }
    if (code === SPACE || code === TAB) {
      pos++;
      continue;
    }
    if (eofLine !== 0) fail(file, line, `data after the end-of-file record on line ${eofLine}`);
    if (code !== COLON) {
      fail(file, line, `expected ':' at column ${pos - lineStart + 1} to start a record, found ${describeChar(code)}`);
    }
    lastRecordLine = line;
    if (pos + 11 > length) recordError(text, pos, pos + 11, lineStart, line, file);

    // Header: byte count, 16-bit load offset (big-endian), record type.
    const c0 = hex[text.charCodeAt(pos + 1)]!;
    const c1 = hex[text.charCodeAt(pos + 2)]!;
    const a0 = hex[text.charCodeAt(pos + 3)]!;
    const a1 = hex[text.charCodeAt(pos + 4)]!;
    const a2 = hex[text.charCodeAt(pos + 5)]!;
    const a3 = hex[text.charCodeAt(pos + 6)]!;
    const t0 = hex[text.charCodeAt(pos + 7)]!;
    const t1 = hex[text.charCodeAt(pos + 8)]!;
    if ((c0 | c1 | a0 | a1 | a2 | a3 | t0 | t1) > 15) recordError(text, pos, pos + 9, lineStart, line, file);
    const count = (c0 << 4) | c1;
    const offset16 = (a0 << 12) | (a1 << 8) | (a2 << 4) | a3;
    const type = (t0 << 4) | t1;
    const end = pos + 11 + 2 * count;
    if (end > length) recordError(text, pos, end, lineStart, line, file);

    let target: Uint8Array = scratch;
    let targetOffset = 0;
    if (type === 0) {
      const address = base + offset16;
      target = buffer;
      if (isSegmented && offset16 + count > 0x10000) {
        // Segment addressing wraps inside the 64 KiB segment (Intel's spec: SBA + ((DRLO + DRI)
        // MOD 64K)), as srec_cat reads it: the bytes past the segment end go to its start. The two
        // runs are registered back to back, so the bytes stay contiguous in the buffer.
        const split = 0x10000 - offset16;
        targetOffset = builder.begin(address, split, line);
        builder.begin(base, count - split, line);
      } else {
        if (address + count > ADDRESS_LIMIT) {
          fail(file, line, `${count} bytes at ${formatAddress(address)} run past the end of the 32-bit address space`);
        }
        targetOffset = builder.begin(address, count, line);
      }
    }
    let sum = count + (offset16 >> 8) + (offset16 & 0xff) + type;
    let bad = 0;
    for (let i = 0, p = pos + 9; i < count; i++, p += 2) {
      const high = hex[text.charCodeAt(p)]!;
      const low = hex[text.charCodeAt(p + 1)]!;
      bad |= high | low;
      const value = (high << 4) | low;
      target[targetOffset + i] = value;
      sum += value;
    }
    const k0 = hex[text.charCodeAt(end - 2)]!;
    const k1 = hex[text.charCodeAt(end - 1)]!;
    if ((bad | k0 | k1) > 15) recordError(text, pos, end, lineStart, line, file);
    const checksum = (k0 << 4) | k1;
    if (((sum + checksum) & 0xff) !== 0) {
      fail(file, line, `checksum is 0x${formatHexByte(checksum)}, expected 0x${formatHexByte(-sum)}`);
    }

    if (type !== 0) {
      if (type > 5) fail(file, line, `unknown record type 0x${formatHexByte(type)}`);
      if (type === 1) {
        if (count !== 0) fail(file, line, `end-of-file record has ${count} data bytes, expected none`);
        eofLine = line;
      } else {
        const expected = type === 2 || type === 4 ? 2 : 4;
        if (count !== expected) fail(file, line, `record type 0x0${type} has ${count} data bytes, expected ${expected}`);
        if (offset16 !== 0) fail(file, line, `record type 0x0${type} has load offset 0x${offset16.toString(16).toUpperCase()}, expected 0x0000`);
        const word16 = (scratch[0]! << 8) | scratch[1]!;
        if (type === 2) {
          base = word16 * 16;
          isSegmented = true;
        } else if (type === 4) {
          base = word16 * 0x10000;
          isSegmented = false;
        }
        else {
          const low16 = (scratch[2]! << 8) | scratch[3]!;
          const next: HexStartAddress =
            type === 5 ? { kind: 'linear', address: word16 * 0x10000 + low16 } : { kind: 'segment', cs: word16, ip: low16 };
          if (start && !sameStart(start, next)) {
            fail(file, line, `second, different start address (the first is on line ${startLine})`);
          }
          start = next;
          startLine = line;
        }
      }
    }

    const after = textAfterRecord(text, end, lineStart, count);
    if (after !== undefined) fail(file, line, after);
    pos = end;
  }
  if (eofLine === 0) fail(file, Math.max(lastRecordLine, 1), 'missing end-of-file record (:00000001FF)');
  return start;
}

function sameStart(a: HexStartAddress, b: HexStartAddress): boolean {
  return a.kind === 'linear' ? b.kind === 'linear' && a.address === b.address : b.kind === 'segment' && a.cs === b.cs && a.ip === b.ip;
}

/** Slow path: says why text[recordStart, end) is not a complete record of hex digits (after the ':'). */
function recordError(text: string, recordStart: number, end: number, lineStart: number, line: number, file: string | undefined): never {
  return fail(file, line, recordSyntaxError(text, recordStart, recordStart + 1, end, lineStart));
}

function fail(file: string | undefined, line: number | undefined, reason: string): never {
  throw new DfuError({ kind: 'image-format', format: FORMAT, reason, ...(file !== undefined && { file }), ...(line !== undefined && { line }) });
}

/**
 * Writes extended linear address records (type 04) whenever the upper 16 address bits change, and
 * never lets a data record cross a 64 KiB boundary, so every reader agrees on the addresses.
 */
export function writeIntelHex(image: MemoryImage, options: IntelHexWriteOptions = {}): string {
  const bytesPerRecord = options.bytesPerRecord ?? 16;
  if (!Number.isInteger(bytesPerRecord) || bytesPerRecord < 1 || bytesPerRecord > 255) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'bytesPerRecord', reason: `${bytesPerRecord} is not in 1..255` });
  }
  const eol = options.lineEnding ?? '\r\n';
  const writer = new RecordWriter(Math.ceil(image.size * (2 + (13 + eol.length) / bytesPerRecord)) + 64, eol);
  let upper = 0;
  for (const block of image.blocks) {
    const blockEnd = block.start + block.data.length;
    let address = block.start;
    while (address < blockEnd) {
      const blockUpper = Math.floor(address / 0x10000);
      if (blockUpper !== upper) {
        writer.record(4, 0, [blockUpper >> 8, blockUpper & 0xff]);
        upper = blockUpper;
      }
      const count = Math.min(bytesPerRecord, blockEnd - address, 0x10000 - (address % 0x10000));
      const from = address - block.start;
      writer.record(0, address % 0x10000, block.data.subarray(from, from + count));
      address += count;
    }
  }
  const start = options.startAddress;
  if (start?.kind === 'linear') {
    const a = start.address >>> 0;
    writer.record(5, 0, [a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff]);
  } else if (start?.kind === 'segment') {
    writer.record(3, 0, [(start.cs >> 8) & 0xff, start.cs & 0xff, (start.ip >> 8) & 0xff, start.ip & 0xff]);
  }
  writer.record(1, 0, []);
  return writer.text();
}

/** An ASCII output buffer that grows by doubling; the estimate makes growth rare. */
class RecordWriter {
  private bytes: Uint8Array;
  private length = 0;
  private readonly eol: number[];

  constructor(capacity: number, eol: string) {
    this.bytes = new Uint8Array(capacity);
    this.eol = Array.from(eol, (char) => char.charCodeAt(0));
  }

  record(type: number, offset16: number, data: ArrayLike<number>): void {
    const needed = 11 + 2 * data.length + this.eol.length;
    if (this.length + needed > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + needed));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes[this.length++] = COLON;
    let sum = data.length + (offset16 >> 8) + (offset16 & 0xff) + type;
    this.pair(data.length);
    this.pair(offset16 >> 8);
    this.pair(offset16 & 0xff);
    this.pair(type);
    for (let i = 0; i < data.length; i++) {
      const value = data[i]!;
      sum += value;
      this.pair(value);
    }
    this.pair(-sum & 0xff);
    for (const code of this.eol) this.bytes[this.length++] = code;
  }

  text(): string {
    return new TextDecoder().decode(this.bytes.subarray(0, this.length));
  }

  private pair(value: number): void {
    this.bytes[this.length++] = HEX_PAIR_CODES[value * 2]!;
    this.bytes[this.length++] = HEX_PAIR_CODES[value * 2 + 1]!;
  }
}
