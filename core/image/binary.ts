// Raw binary images. A .bin file carries no address, so the caller always supplies one; writing
// one fills every gap with a byte the caller names, because a silent 0x00 or 0xFF is how an image
// with flash and data EEPROM turns into half a megabyte of filler nobody asked for.

import { DfuError } from '../errors.js';
import { formatAddress, formatSize } from '../format.js';
import { MemoryImage, type AddressRange } from './memoryImage.js';

const ADDRESS_LIMIT = 0x1_0000_0000;

/** Default cap for writeBinary: far above any STM32 flash, far below an accidental 4 GiB fill. */
export const DEFAULT_MAX_BINARY_BYTES = 64 * 1024 * 1024;

/** The bytes as one block at `baseAddress` (copied, so the image never aliases a caller's buffer). */
export function parseBinary(bytes: Uint8Array, options: { baseAddress: number; file?: string }): MemoryImage {
  const { baseAddress } = options;
  if (!Number.isInteger(baseAddress) || baseAddress < 0 || baseAddress >= ADDRESS_LIMIT) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'baseAddress', reason: `${baseAddress} is not a 32-bit address` });
  }
  if (baseAddress + bytes.length > ADDRESS_LIMIT) {
    throw new DfuError({
      kind: 'image-format',
      format: 'binary',
      reason: `${formatSize(bytes.length)} at ${formatAddress(baseAddress)} run past the end of the 32-bit address space`,
      ...(options.file !== undefined && { file: options.file }),
    });
  }
  return MemoryImage.fromBytes(baseAddress, new Uint8Array(bytes));
}

export interface BinaryWriteOptions {
  /** The byte written into every gap, e.g. the target's erased value (0xFF, or 0x00 on STM32L0/L1). */
  readonly fill: number;
  /** The span to write; defaults to the image's lowest to highest address. */
  readonly range?: AddressRange;
  readonly maxSizeBytes?: number;
}

/** One contiguous buffer for `range`, with gaps filled with `fill`. */
export function writeBinary(image: MemoryImage, options: BinaryWriteOptions): { start: number; data: Uint8Array } {
  const { fill } = options;
  if (!Number.isInteger(fill) || fill < 0 || fill > 0xff) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'fill', reason: `${fill} is not a byte value` });
  }
  const range = options.range ?? { start: image.start, end: image.end };
  if (!Number.isInteger(range.start) || !Number.isInteger(range.end) || range.start < 0 || range.end > ADDRESS_LIMIT || range.end < range.start) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'range', reason: `${range.start}..${range.end} is not a 32-bit address range` });
  }
  const maxSizeBytes = options.maxSizeBytes ?? DEFAULT_MAX_BINARY_BYTES;
  const size = range.end - range.start;
  if (size > maxSizeBytes) {
    throw new DfuError({
      kind: 'invalid-argument',
      argument: 'range',
      reason: `${formatAddress(range.start)}..${formatAddress(range.end)} would be ${formatSize(size)} of which ${formatSize(image.slice(range).size)} is image data (limit ${formatSize(maxSizeBytes)}); write each block separately`,
    });
  }
  return { start: range.start, data: image.read(range, fill) };
}
