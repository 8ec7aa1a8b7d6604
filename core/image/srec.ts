// Motorola S-record ⇄ MemoryImage (the format as srec_cat's srec_motorola(5) man page describes it):
// S0 header, S1/S2/S3 data with 16/24/32-bit addresses, S5/S6 record counts, S7/S8/S9 start
// address and end of a file. Same approach as intelHex.ts: char codes, one buffer, located errors.
// Files are often concatenated (a bootloader's S-records followed by an application's): records
// after a termination record are read as the next part, as srec_cat and bincopy read them.

import { DfuError } from '../errors.js';
import { formatAddress, formatHexByte } from '../format.js';
import { collectRecords, type BlockBuilder } from './blockBuilder.js';
import { HEX_VALUE, describeChar } from './hexDigits.js';
import { MemoryImage } from './memoryImage.js';
import { CR, LF, SPACE, TAB, recordSyntaxError, textAfterRecord } from './recordSyntax.js';

export interface SrecParseResult {
  readonly image: MemoryImage;
  /** From the first S7/S8/S9 termination record (srec_cat keeps the first too). */
  readonly startAddress?: number;
  /** The first S0 record's data as text, trailing NULs removed. */
  readonly header?: string;
  readonly warnings: readonly string[];
}

export interface SrecWriteOptions {
  readonly header?: string;
  readonly startAddress?: number;
  /** 2, 3 or 4 (S1/S2/S3); default: the smallest that holds every address. */
  readonly addressBytes?: 2 | 3 | 4;
  /** Default 32, as srec_cat writes. */
  readonly bytesPerRecord?: number;
  readonly lineEnding?: '\n' | '\r\n';
}

const FORMAT = 'srec';
const ADDRESS_LIMIT = 0x1_0000_0000;
const LETTER_S = 0x53;
const LETTER_S_LOWER = 0x73;

/** Address field size in bytes per record type S0..S9; 0 for the reserved S4. S5/S6 vary (see scanSrec). */
const ADDRESS_BYTES = [2, 2, 3, 4, 0, 2, 3, 4, 3, 2];

export function parseSrec(text: string, options: { file?: string } = {}): SrecParseResult {
  const { blocks, scanned } = collectRecords(
    text.length >>> 1,
    (builder) => scanSrec(text, builder, options.file),
    (line, reason) => fail(options.file, line, reason),
  );
  return { image: MemoryImage.fromBlocks(blocks), ...scanned };
}

function scanSrec(text: string, builder: BlockBuilder, file: string | undefined): Omit<SrecParseResult, 'image'> {
  const length = text.length;
  const hex = HEX_VALUE;
  const buffer = builder.buffer;
  const scratch = new Uint8Array(255);
  const warnings: string[] = [];
  let pos = length > 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = pos;
  let lastRecordLine = 0;
  /** Data records since the start of the file, and since the last termination record. */
  let dataRecords = 0;
  let partRecords = 0;
  let terminationLine = 0;
  let startAddress: number | undefined;
  let startLine = 0;
  let hasStartConflict = false;
  let header: string | undefined;

  while (pos < length) {
    const code = text.charCodeAt(pos);
    if (code === LF || code === CR) {
      pos += code === CR && pos + 1 < length && text.charCodeAt(pos + 1) === LF ? 2 : 1;
      line++;
      lineStart = pos;
      continue;
    }
    if (code === SPACE || code === TAB) {
      pos++;
      continue;
    }
    if (code !== LETTER_S && code !== LETTER_S_LOWER) {
      fail(file, line, `expected 'S' at column ${pos - lineStart + 1} to start a record, found ${describeChar(code)}`);
    }
    lastRecordLine = line;
    if (pos + 4 > length) recordError(text, pos, pos + 4, lineStart, line, file);
    const type = text.charCodeAt(pos + 1) - 0x30;
    if (type < 0 || type > 9) fail(file, line, `${describeChar(type + 0x30)} at column ${pos - lineStart + 2} is not a record type (0-9)`);
    if (type === 4) fail(file, line, 'record type S4 is reserved');
    const c0 = hex[text.charCodeAt(pos + 2)]!;
    const c1 = hex[text.charCodeAt(pos + 3)]!;
    if ((c0 | c1) > 15) recordError(text, pos, pos + 4, lineStart, line, file);
    const count = (c0 << 4) | c1;
    let addressBytes = ADDRESS_BYTES[type]!;
    if (type === 5 || type === 6) {
      // The count field is 2 (S5) or 3 (S6) bytes by the book; Green Hills writes 4, and srec_cat
      // reads S5 with 2 to 4 and S6 with 3 or 4. So does DFU Desk.
      const smallest = type === 5 ? 2 : 3;
      if (count - 1 < smallest || count - 1 > 4) {
        fail(file, line, `S${type} record has ${count - 1} bytes after its byte count; a record count field is ${type === 5 ? '2, 3 or 4' : '3 or 4'} bytes`);
      }
      addressBytes = count - 1;
    } else if (count < addressBytes + 1) {
      fail(file, line, `byte count ${count} is too small for an S${type} record (at least ${addressBytes + 1})`);
    }
    const end = pos + 4 + 2 * count;
    if (end > length) recordError(text, pos, end, lineStart, line, file);

    let bad = 0;
    let sum = count;
    let address = 0;
    let p = pos + 4;
    for (let i = 0; i < addressBytes; i++, p += 2) {
      const high = hex[text.charCodeAt(p)]!;
      const low = hex[text.charCodeAt(p + 1)]!;
      bad |= high | low;
      const value = (high << 4) | low;
      address = address * 256 + value;
      sum += value;
    }
    const dataCount = count - addressBytes - 1;
    let target: Uint8Array = scratch;
    let targetOffset = 0;
    if (type >= 1 && type <= 3) {
      if (address + dataCount > ADDRESS_LIMIT) {
        fail(file, line, `${dataCount} bytes at ${formatAddress(address)} run past the end of the 32-bit address space`);
      }
      target = buffer;
      targetOffset = builder.begin(address, dataCount, line);
      dataRecords++;
      partRecords++;
    }
    for (let i = 0; i < dataCount; i++, p += 2) {
      const high = hex[text.charCodeAt(p)]!;
      const low = hex[text.charCodeAt(p + 1)]!;
      bad |= high | low;
      const value = (high << 4) | low;
      target[targetOffset + i] = value;
      sum += value;
    }
    const k0 = hex[text.charCodeAt(p)]!;
    const k1 = hex[text.charCodeAt(p + 1)]!;
    if ((bad | k0 | k1) > 15) recordError(text, pos, end, lineStart, line, file);
    const checksum = (k0 << 4) | k1;
    // The checksum is the ones' complement of the sum of count, address and data bytes.
    if (((sum + checksum) & 0xff) !== 0xff) fail(file, line, `checksum is 0x${formatHexByte(checksum)}, expected 0x${formatHexByte(~sum)}`);

    if (type === 0) {
      if (header === undefined) header = latin1(scratch.subarray(0, dataCount)).replace(/\0+$/, '');
    } else if (type === 5 || type === 6) {
      // Counted modulo the field's size. srec_cat counts from the start of the file; a part of a
      // concatenated file counts its own records: either is accepted.
      const modulus = 2 ** (8 * addressBytes);
      const total = dataRecords % modulus;
      const part = partRecords % modulus;
      if (address !== total && address !== part) {
        fail(file, line, `record count says ${address} data records, ${part} came before it${part !== total ? ` (${total} since the start of the file)` : ''}`);
      }
    } else if (type >= 7) {
      if (dataCount !== 0) fail(file, line, `S${type} record has ${dataCount} data bytes, expected none`);
      if (startAddress === undefined) {
        startAddress = address;
        startLine = line;
      } else if (address !== startAddress && !hasStartConflict) {
        hasStartConflict = true;
        warnings.push(
          `termination records name different start addresses: ${formatAddress(startAddress)} on line ${startLine}, ${formatAddress(address)} on line ${line}; the first is kept (as srec_cat does)`,
        );
      }
      terminationLine = line;
      partRecords = 0;
    }

    const after = textAfterRecord(text, end, lineStart, count);
    if (after !== undefined) fail(file, line, after);
    pos = end;
  }
  if (lastRecordLine === 0) fail(file, 1, 'no S-records');
  if (terminationLine === 0) warnings.push('no termination record (S7, S8 or S9): the file may be cut short');
  else if (partRecords > 0) {
    warnings.push(`no termination record after the data that follows the one on line ${terminationLine}: the file may be cut short`);
  }
  return {
    warnings,
    ...(startAddress !== undefined && { startAddress }),
    ...(header !== undefined && { header }),
  };
}

/** Slow path: says why text[recordStart, end) is not a complete record of hex digits (after 'S' and the type). */
function recordError(text: string, recordStart: number, end: number, lineStart: number, line: number, file: string | undefined): never {
  return fail(file, line, recordSyntaxError(text, recordStart, recordStart + 2, end, lineStart));
}

function fail(file: string | undefined, line: number | undefined, reason: string): never {
  throw new DfuError({ kind: 'image-format', format: FORMAT, reason, ...(file !== undefined && { file }), ...(line !== undefined && { line }) });
}

function latin1(bytes: Uint8Array): string {
  let out = '';
  for (const value of bytes) out += String.fromCharCode(value);
  return out;
}

/** S0 header, data records, an S5/S6 count when it fits, and the matching S7/S8/S9 terminator. */
export function writeSrec(image: MemoryImage, options: SrecWriteOptions = {}): string {
  const bytesPerRecord = options.bytesPerRecord ?? 32;
  const addressBytes = options.addressBytes ?? (image.end > 0x1000000 ? 4 : image.end > 0x10000 ? 3 : 2);
  const eol = options.lineEnding ?? '\n';
  if (!Number.isInteger(bytesPerRecord) || bytesPerRecord < 1 || bytesPerRecord > 255 - addressBytes - 1) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'bytesPerRecord', reason: `${bytesPerRecord} is not in 1..${254 - addressBytes}` });
  }
  const limit = 2 ** (8 * addressBytes);
  if (image.end > limit || (options.startAddress ?? 0) >= limit) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'addressBytes', reason: `${addressBytes}-byte addresses cannot reach ${formatAddress(Math.max(image.end - 1, options.startAddress ?? 0))}` });
  }
  const lines: string[] = [];
  if (options.header !== undefined) {
    lines.push(record(0, 2, 0, Array.from(options.header, (char) => char.charCodeAt(0) & 0xff)));
  }
  const dataType = addressBytes - 1;
  let dataRecords = 0;
  for (const block of image.blocks) {
    for (let from = 0; from < block.data.length; from += bytesPerRecord) {
      lines.push(record(dataType, addressBytes, block.start + from, block.data.subarray(from, from + bytesPerRecord)));
      dataRecords++;
    }
  }
  if (dataRecords <= 0xffff) lines.push(record(5, 2, dataRecords, []));
  else if (dataRecords <= 0xffffff) lines.push(record(6, 3, dataRecords, []));
  lines.push(record(11 - addressBytes, addressBytes, options.startAddress ?? 0, []));
  return lines.map((l) => l + eol).join('');
}

function record(type: number, addressBytes: number, address: number, data: ArrayLike<number>): string {
  const bytes: number[] = [addressBytes + data.length + 1];
  for (let shift = (addressBytes - 1) * 8; shift >= 0; shift -= 8) bytes.push(Math.floor(address / 2 ** shift) & 0xff);
  for (let i = 0; i < data.length; i++) bytes.push(data[i]!);
  const sum = bytes.reduce((total, value) => total + value, 0);
  bytes.push(~sum & 0xff);
  return `S${type}${bytes.map(formatHexByte).join('')}`;
}
