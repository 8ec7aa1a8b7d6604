// DfuSe .dfu container (ST UM0391 "DfuSe File Format Specification") and the plain DFU suffix
// (USB DFU 1.1 appendix B). Every multi-byte field is little-endian. Where the tools that write
// and read these files disagree (DFUImageSize with or without the suffix), docs/image-formats.md
// says what DFU Desk does and why.

import { DfuError } from '../errors.js';
import { crc32Update, readU16LE, readU32LE, writeU16LE, writeU32LE } from '../bytes.js';
import { formatAddress, formatCount } from '../format.js';
import { MAX_IMAGE_BLOCKS } from './limits.js';
import { MemoryImage, type Block } from './memoryImage.js';

/** bcdDFU of a DfuSe file (UM0391); dfu-util parses a file as DfuSe only with this value. */
export const DFUSE_BCD_DFU = 0x011a;
export const DFU_SUFFIX_LENGTH = 16;

const PREFIX_LENGTH = 11;
const TARGET_PREFIX_LENGTH = 274;
const TARGET_NAME_LENGTH = 255;
const ELEMENT_HEADER_LENGTH = 8;
const ADDRESS_LIMIT = 0x1_0000_0000;

export interface DfuSuffix {
  /** 0xFFFF (or 0 in DfuSe tools' output) means "any". */
  readonly bcdDevice: number;
  readonly productId: number;
  readonly vendorId: number;
  readonly bcdDfu: number;
  /** bLength: 16, or more when a vendor extends the suffix. */
  readonly length: number;
}

export interface DfuTarget {
  /** bAlternateSetting: the alt setting (memory region) this target is written through. */
  readonly alternate: number;
  /** Absent when bTargetNamed is 0. */
  readonly name?: string;
  readonly image: MemoryImage;
}

export interface DfuFile {
  readonly targets: readonly DfuTarget[];
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
  readonly bcdDfu: number;
  readonly warnings: readonly string[];
}

export interface DfuFileWriteInput {
  readonly targets: readonly DfuTarget[];
  /** Defaults: ST's DFU bootloader 0x0483:0xDF11 and bcdDevice 0x0000, as dfuse-pack writes. */
  readonly vendorId?: number;
  readonly productId?: number;
  readonly bcdDevice?: number;
}

const SIGNATURE = [0x44, 0x66, 0x75, 0x53, 0x65]; // "DfuSe"
const TARGET_SIGNATURE = [0x54, 0x61, 0x72, 0x67, 0x65, 0x74]; // "Target"
const UFD = [0x55, 0x46, 0x44]; // "UFD": "DFU" stored backwards

export function hasDfuSePrefix(bytes: Uint8Array): boolean {
  return startsWith(bytes, 0, SIGNATURE);
}

/** True when the file ends in something shaped like a DFU suffix ("UFD", bLength >= 16). */
export function hasDfuSuffix(bytes: Uint8Array): boolean {
  const length = bytes.length;
  return length >= DFU_SUFFIX_LENGTH && startsWith(bytes, length - 8, UFD) && bytes[length - 5]! >= DFU_SUFFIX_LENGTH && bytes[length - 5]! <= length;
}

/**
 * Reads the DFU suffix and checks its CRC. Returns undefined when the file has no suffix; throws
 * when it has one whose CRC does not match (a damaged or edited file).
 */
export function readDfuSuffix(bytes: Uint8Array, options: { file?: string; format?: string } = {}): { suffix: DfuSuffix; payload: Uint8Array } | undefined {
  if (!hasDfuSuffix(bytes)) return undefined;
  const length = bytes.length;
  const stored = readU32LE(bytes, length - 4);
  // DFU 1.1 appendix B: CRC-32 over everything but the CRC itself, without the final inversion.
  const computed = crc32Update(0xffffffff, bytes.subarray(0, length - 4));
  if (stored !== computed) {
    throw formatError(options.format ?? 'binary-dfu-suffix', options.file, length - 4, `suffix CRC is ${hex32(stored)}, the file's is ${hex32(computed)}`);
  }
  const suffixLength = bytes[length - 5]!;
  const suffix: DfuSuffix = {
    bcdDevice: readU16LE(bytes, length - 16),
    productId: readU16LE(bytes, length - 14),
    vendorId: readU16LE(bytes, length - 12),
    bcdDfu: readU16LE(bytes, length - 10),
    length: suffixLength,
  };
  return { suffix, payload: bytes.subarray(0, length - suffixLength) };
}

/** `payload` followed by a 16-byte DFU suffix (what `dfu-suffix -a` does). */
export function addDfuSuffix(payload: Uint8Array, ids: { vendorId: number; productId: number; bcdDevice: number; bcdDfu?: number }): Uint8Array {
  const out = new Uint8Array(payload.length + DFU_SUFFIX_LENGTH);
  out.set(payload);
  writeSuffix(out, { ...ids, bcdDfu: ids.bcdDfu ?? 0x0100 });
  return out;
}

/**
 * Parses a DfuSe file. DFUImageSize is not trusted: UM0391 says it counts the whole file (newer
 * dfuse-pack versions write it so), while ST's DfuFileMgr, MicroPython's dfu.py, fwupd and older
 * dfuse-pack versions leave the 16-byte suffix out (and fwupd refuses anything else). Both are read
 * without a word; any other value gets a warning. The elements are what counts; dwTargetSize is cross-checked for a warning too.
 *
 * Bounded work: a target that declares more elements than could fit in the rest of the file, or
 * more than MAX_IMAGE_BLOCKS in all, is refused before any is read; empty elements cost nothing; the
 * element bytes are views into one copy of the file.
 */
export function parseDfuFile(bytes: Uint8Array, options: { file?: string } = {}): DfuFile {
  const file = options.file;
  const fail = (offset: number, reason: string): never => {
    throw formatError('dfuse', file, offset, reason);
  };
  const length = bytes.length;
  if (!hasDfuSePrefix(bytes)) fail(0, 'no "DfuSe" signature');
  if (length < PREFIX_LENGTH + DFU_SUFFIX_LENGTH)
    fail(length, `file is ${length} bytes, too short for a DfuSe prefix and suffix`);
  if (bytes[5] !== 1) fail(5, `DfuSe version ${bytes[5]}, only version 1 exists`);
  // A first target that says it holds more elements than any image may, and that the file could
  // hold, is refused before the suffix CRC runs over the whole file (64 MB of empty elements: the CRC
  // was most of the time). The same refusal the loop below gives after the CRC.
  if (bytes[10]! > 0 && length >= PREFIX_LENGTH + TARGET_PREFIX_LENGTH + DFU_SUFFIX_LENGTH && hasDfuSuffix(bytes) && startsWith(bytes, PREFIX_LENGTH, TARGET_SIGNATURE)) {
    const firstCount = readU32LE(bytes, PREFIX_LENGTH + 270);
    const room = Math.floor((length - bytes[length - 5]! - PREFIX_LENGTH - TARGET_PREFIX_LENGTH) / ELEMENT_HEADER_LENGTH);
    if (firstCount > MAX_IMAGE_BLOCKS && firstCount <= room) {
      fail(PREFIX_LENGTH + 270, `target 0: more than ${formatCount(MAX_IMAGE_BLOCKS)} elements in the file; a firmware file has a handful`);
    }
  }
  const found = readDfuSuffix(bytes, { format: 'dfuse', ...(file !== undefined && { file }) });
  if (!found) return fail(length - 8, 'no DFU suffix ("UFD" signature) at the end of the file');
  const { suffix } = found;
  const warnings: string[] = [];
  if (suffix.bcdDfu !== DFUSE_BCD_DFU) {
    warnings.push(`suffix bcdDFU is 0x${suffix.bcdDfu.toString(16).padStart(4, '0')}, DfuSe files use 0x011a`);
  }
  const bodyEnd = length - suffix.length;
  const imageSize = readU32LE(bytes, 6);
  if (imageSize !== bodyEnd && imageSize !== length) {
    warnings.push(
      `DFUImageSize says ${imageSize} bytes; the file has ${length} (${bodyEnd} without its suffix); ignored`,
    );
  }

  // One copy of the body: every element is a view into it (no allocation per element).
  const body = bytes.slice(0, bodyEnd);
  const targetCount = bytes[10]!;
  const targets: DfuTarget[] = [];
  let elementsSoFar = 0;
  let pos = PREFIX_LENGTH;
  for (let t = 0; t < targetCount; t++) {
    const targetOffset = pos;
    if (pos + TARGET_PREFIX_LENGTH > bodyEnd)
      fail(pos, `target ${t} of ${targetCount}: the file ends inside its 274-byte prefix`);
    if (!startsWith(bytes, pos, TARGET_SIGNATURE)) fail(pos, `target ${t}: no "Target" signature`);
    const alternate = bytes[pos + 6]!;
    const isNamed = readU32LE(bytes, pos + 7) !== 0;
    const name = isNamed ? decodeName(bytes.subarray(pos + 11, pos + 11 + TARGET_NAME_LENGTH)) : undefined;
    const targetSize = readU32LE(bytes, pos + 266);
    const elementCount = readU32LE(bytes, pos + 270);
    pos += TARGET_PREFIX_LENGTH;
    // Each element takes at least its 8-byte header: a count the rest of the file cannot hold is a
    // damaged or crafted file, refused now rather than after millions of reads.
    const room = Math.floor((bodyEnd - pos) / ELEMENT_HEADER_LENGTH);
    if (elementCount > room) {
      fail(
        pos - 4,
        `target ${t} says it has ${formatCount(elementCount)} elements, but the ${bodyEnd - pos} bytes left before the suffix hold at most ${formatCount(room)}`,
      );
    }
    elementsSoFar += elementCount;
    if (elementsSoFar > MAX_IMAGE_BLOCKS) {
      fail(
        pos - 4,
        `target ${t}: more than ${formatCount(MAX_IMAGE_BLOCKS)} elements in the file; a firmware file has a handful`,
      );
    }
    const elements: Element[] = [];
    let empty = 0;
    for (let e = 0; e < elementCount; e++) {
      if (pos + ELEMENT_HEADER_LENGTH > bodyEnd)
        fail(pos, `target ${t}, element ${e} of ${elementCount}: the file ends inside its header`);
      const start = readU32LE(bytes, pos);
      const size = readU32LE(bytes, pos + 4);
      if (size > bodyEnd - pos - ELEMENT_HEADER_LENGTH) {
        fail(
          pos + 4,
          `target ${t}, element ${e}: ${size} bytes at ${formatAddress(start)}, but only ${bodyEnd - pos - ELEMENT_HEADER_LENGTH} remain before the suffix`,
        );
      }
      if (start + size > ADDRESS_LIMIT)
        fail(
          pos,
          `target ${t}, element ${e}: ${size} bytes at ${formatAddress(start)} run past the end of the 32-bit address space`,
        );
      if (size === 0) empty++;
      else
        elements.push({
          start,
          end: start + size,
          data: body.subarray(pos + ELEMENT_HEADER_LENGTH, pos + ELEMENT_HEADER_LENGTH + size),
          index: e,
          offset: pos,
        });
      pos += ELEMENT_HEADER_LENGTH + size;
    }
    const overlap = firstOverlap(elements);
    if (overlap) {
      const [a, b] = overlap;
      fail(
        targetOffset,
        `target ${t}: element ${a.index} (offset ${a.offset}) and element ${b.index} (offset ${b.offset}) both hold ${formatAddress(b.start)}`,
      );
    }
    if (empty > 0) warnings.push(`target ${t}: ${formatCount(empty)} empty element${empty === 1 ? '' : 's'} ignored`);
    if (pos - targetOffset - TARGET_PREFIX_LENGTH !== targetSize) {
      warnings.push(
        `target ${t}: dwTargetSize says ${targetSize} bytes, its elements take ${pos - targetOffset - TARGET_PREFIX_LENGTH}`,
      );
    }
    const image = MemoryImage.fromBlocks(elements);
    targets.push(name === undefined ? { alternate, image } : { alternate, name, image });
  }
  if (pos !== bodyEnd) warnings.push(`${bodyEnd - pos} bytes between the last target and the suffix were ignored`);
  return {
    targets,
    vendorId: suffix.vendorId,
    productId: suffix.productId,
    bcdDevice: suffix.bcdDevice,
    bcdDfu: suffix.bcdDfu,
    warnings,
  };
}

interface Element extends Block {
  readonly end: number;
  readonly index: number;
  readonly offset: number;
}

/** The first two elements (by address) that share a byte: one sort, one pass, no labels built. */
function firstOverlap(elements: readonly Element[]): [Element, Element] | undefined {
  const sorted = elements.slice().sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.start < sorted[i - 1]!.end) return [sorted[i - 1]!, sorted[i]!];
  }
  return undefined;
}

/**
 * Writes a DfuSe file: one element per image block. DFUImageSize leaves the 16-byte suffix out, as
 * ST's DfuFileMgr, MicroPython and fwupd write it; fwupd refuses a file that counts the suffix.
 */
export function writeDfuFile(input: DfuFileWriteInput): Uint8Array {
  if (input.targets.length > 255)
    throw invalid('targets', `${input.targets.length} targets, a DfuSe file holds at most 255`);
  let elementCount = 0;
  const names = input.targets.map((target) => {
    if (!Number.isInteger(target.alternate) || target.alternate < 0 || target.alternate > 255) {
      throw invalid('alternate', `${target.alternate} is not an alt setting number (0..255)`);
    }
    elementCount += target.image.blocks.length;
    const encoded = target.name === undefined ? undefined : new TextEncoder().encode(target.name);
    if (encoded && encoded.length > TARGET_NAME_LENGTH)
      throw invalid('name', `target name is ${encoded.length} bytes, at most 255 fit`);
    return encoded;
  });
  if (elementCount > MAX_IMAGE_BLOCKS) {
    throw invalid(
      'targets',
      `${formatCount(elementCount)} blocks would be ${formatCount(elementCount)} elements; DFU Desk reads at most ${formatCount(MAX_IMAGE_BLOCKS)}`,
    );
  }
  const targetSizes = input.targets.map((target) =>
    target.image.blocks.reduce((sum, block) => sum + ELEMENT_HEADER_LENGTH + block.data.length, 0),
  );
  const total =
    PREFIX_LENGTH + targetSizes.reduce((sum, size) => sum + TARGET_PREFIX_LENGTH + size, 0) + DFU_SUFFIX_LENGTH;
  const out = new Uint8Array(total);
  out.set(SIGNATURE, 0);
  out[5] = 1;
  writeU32LE(out, 6, total - DFU_SUFFIX_LENGTH);
  out[10] = input.targets.length;
  let pos = PREFIX_LENGTH;
  input.targets.forEach((target, t) => {
    out.set(TARGET_SIGNATURE, pos);
    out[pos + 6] = target.alternate;
    const name = names[t];
    if (name) {
      writeU32LE(out, pos + 7, 1);
      out.set(name, pos + 11);
    }
    writeU32LE(out, pos + 266, targetSizes[t]!);
    writeU32LE(out, pos + 270, target.image.blocks.length);
    pos += TARGET_PREFIX_LENGTH;
    for (const block of target.image.blocks) {
      writeU32LE(out, pos, block.start);
      writeU32LE(out, pos + 4, block.data.length);
      out.set(block.data, pos + ELEMENT_HEADER_LENGTH);
      pos += ELEMENT_HEADER_LENGTH + block.data.length;
    }
  });
  writeSuffix(out, {
    vendorId: input.vendorId ?? 0x0483,
    productId: input.productId ?? 0xdf11,
    bcdDevice: input.bcdDevice ?? 0x0000,
    bcdDfu: DFUSE_BCD_DFU,
  });
  return out;
}

/** Fills the last 16 bytes of `out` with a suffix whose CRC covers everything before the CRC. */
function writeSuffix(out: Uint8Array, ids: { vendorId: number; productId: number; bcdDevice: number; bcdDfu: number }): void {
  const at = out.length - DFU_SUFFIX_LENGTH;
  for (const [name, value] of Object.entries(ids)) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw invalid(name, `${value} is not a 16-bit value`);
  }
  writeU16LE(out, at, ids.bcdDevice);
  writeU16LE(out, at + 2, ids.productId);
  writeU16LE(out, at + 4, ids.vendorId);
  writeU16LE(out, at + 6, ids.bcdDfu);
  out.set(UFD, at + 8);
  out[at + 11] = DFU_SUFFIX_LENGTH;
  writeU32LE(out, at + 12, crc32Update(0xffffffff, out.subarray(0, at + 12)));
}

function decodeName(field: Uint8Array): string {
  const nul = field.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? field : field.subarray(0, nul));
}

function startsWith(bytes: Uint8Array, offset: number, expected: readonly number[]): boolean {
  if (offset < 0 || offset + expected.length > bytes.length) return false;
  return expected.every((value, i) => bytes[offset + i] === value);
}

function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

function formatError(format: string, file: string | undefined, offset: number, reason: string): DfuError {
  return new DfuError({ kind: 'image-format', format, reason, offset, ...(file !== undefined && { file }) });
}

function invalid(argument: string, reason: string): DfuError {
  return new DfuError({ kind: 'invalid-argument', argument, reason });
}
