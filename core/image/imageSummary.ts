// What the CLI's `image` command and the app show about a loaded image: its blocks with CRCs, and
// a sanity check of the Cortex-M vector table it starts with (ARMv7-M ARM §B1.5.3: word 0 is the
// initial main stack pointer, word 1 the reset handler address with bit 0 set for Thumb state).

import { crc32, crc32Update, readU32LE } from '../bytes.js';
import { formatAddress } from '../format.js';
import type { MemoryImage } from './memoryImage.js';

export interface ImageBlockInfo {
  readonly start: number;
  readonly end: number;
  readonly size: number;
  /** zlib CRC-32 of the block's bytes. */
  readonly crc32: number;
}

export interface VectorTableCheck {
  readonly initialStackPointer: number;
  readonly resetVector: number;
  readonly isStackInRam: boolean;
  readonly isResetInImage: boolean;
  readonly hasThumbBit: boolean;
}

export interface ImageSummaryInfo {
  readonly blocks: readonly ImageBlockInfo[];
  /** Bytes present, gaps excluded. */
  readonly sizeBytes: number;
  /** zlib CRC-32 of all present bytes in address order (gaps skipped, not filled). */
  readonly crc32: number;
  /** Absent when the image does not start with 8 bytes. */
  readonly vectorTable?: VectorTableCheck;
  readonly warnings: readonly string[];
}

/**
 * Where an STM32's initial stack pointer may point: the Cortex-M SRAM region (0x20000000 up to
 * 0x40000000: SRAM1/2, H7 DTCM at 0x20000000 and AXI SRAM at 0x24000000) and the core-coupled RAM
 * at 0x10000000 (F3/F4/G4 CCM, L4 SRAM2). The stack grows down, so the top address itself is fine.
 */
const RAM_WINDOWS: readonly { start: number; end: number }[] = [
  { start: 0x20000000, end: 0x40000000 },
  { start: 0x10000000, end: 0x10010000 },
];

export function summarizeImage(image: MemoryImage, options: { entryAddress?: number } = {}): ImageSummaryInfo {
  let crc = 0xffffffff;
  const blocks = image.blocks.map((block) => {
    crc = crc32Update(crc, block.data);
    return { start: block.start, end: block.start + block.data.length, size: block.data.length, crc32: crc32(block.data) };
  });
  const warnings: string[] = [];
  const vectorTable = checkVectorTable(image);
  if (vectorTable) {
    const { initialStackPointer: sp, resetVector: reset } = vectorTable;
    if (!vectorTable.isStackInRam) warnings.push(`initial stack pointer ${formatAddress(sp)} is not in SRAM: does the image start with a vector table?`);
    if (!vectorTable.hasThumbBit) warnings.push(`reset vector ${formatAddress(reset)} lacks the Thumb bit (bit 0): the core would fault at reset`);
    if (!vectorTable.isResetInImage) warnings.push(`reset vector ${formatAddress(reset)} points outside the image`);
    if (options.entryAddress !== undefined && (options.entryAddress | 1) !== (reset | 1)) {
      warnings.push(`entry address ${formatAddress(options.entryAddress)} differs from the reset vector ${formatAddress(reset)}`);
    }
  }
  return { blocks, sizeBytes: image.size, crc32: ~crc >>> 0, ...(vectorTable && { vectorTable }), warnings };
}

function checkVectorTable(image: MemoryImage): VectorTableCheck | undefined {
  const start = image.start;
  if (image.isEmpty || !image.covers({ start, end: start + 8 })) return undefined;
  const words = image.read({ start, end: start + 8 }, 0);
  const initialStackPointer = readU32LE(words, 0);
  const resetVector = readU32LE(words, 4);
  return {
    initialStackPointer,
    resetVector,
    isStackInRam: RAM_WINDOWS.some((w) => initialStackPointer > w.start && initialStackPointer <= w.end),
    isResetInImage: image.contains((resetVector & ~1) >>> 0),
    hasThumbBit: (resetVector & 1) === 1,
  };
}
