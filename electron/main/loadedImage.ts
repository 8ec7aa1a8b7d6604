// A firmware file as the service keeps it: the parsed image (stays in main) and the ImageSummary the
// window sees. Pure apart from the injected hash.

import type { FileGrant, ImageSaveFormat, ImageSummary } from '../../core/contract/programmer.js';
import { formatAddress, formatCount, formatHexByte } from '../../core/format.js';
import { convertFirmware, type OutputFormat } from '../../core/image/convert.js';
import { FORMAT_NAMES, loadFirmware, summarizeImage } from '../../core/image/firmwareFile.js';
import type { FirmwareFile, FirmwareFormat } from '../../core/image/firmwareFile.js';
import type { MemoryImage } from '../../core/image/memoryImage.js';
import type { FileFilter } from './host.js';

export interface LoadedImage {
  readonly summary: ImageSummary;
  /** The file's bytes: the job layer places them on each device it flashes (core/jobs/placeImage.ts). */
  readonly bytes: Uint8Array;
  readonly firmware: FirmwareFile;
  readonly image: MemoryImage;
  /** Where a raw binary was placed; kept so a reload places it the same way. */
  readonly baseAddress?: number;
  /** The format the window named ('binary' for a file whose name names none); kept for a reload. */
  readonly format?: 'binary';
}

export interface LoadImageInput {
  readonly bytes: Uint8Array;
  readonly fileName: string;
  /** The file on disk it came from, with the token that opens it again; absent for sent bytes. */
  readonly file?: FileGrant;
  /** Chosen by the user for a raw binary. */
  readonly baseAddress?: number;
  /** The format the user named; without it the file name's extension decides (core/image/firmwareFile.ts). */
  readonly format?: FirmwareFormat;
  /** Used for a raw binary when the user gave none: the start of the device's first region. */
  readonly defaultBaseAddress: number;
  readonly defaultBaseRegion: string;
  readonly sha256: (bytes: Uint8Array) => string;
  readonly now: number;
}

export function loadImage(input: LoadImageInput): LoadedImage {
  const baseAddress = input.baseAddress ?? input.defaultBaseAddress;
  const firmware = loadFirmware(input.bytes, { fileName: input.fileName, baseAddress, ...(input.format !== undefined ? { format: input.format } : {}) });
  const isRawBinary = firmware.format === 'binary' || firmware.format === 'binary-dfu-suffix';
  const info = summarizeImage(firmware.image, firmware.entryAddress !== undefined ? { entryAddress: firmware.entryAddress } : {});
  const warnings = [...firmware.warnings, ...info.warnings];
  if (isRawBinary && input.baseAddress === undefined) {
    warnings.unshift(
      `raw binary without addresses: placed at ${formatAddress(baseAddress)} (start of ${input.defaultBaseRegion}); open it again with another base address if it belongs elsewhere`,
    );
  }
  const summary: ImageSummary = {
    fileName: input.fileName,
    ...(input.file !== undefined ? { path: input.file.path, token: input.file.token } : {}),
    format: firmware.format,
    sizeBytes: info.sizeBytes,
    fileSizeBytes: input.bytes.length,
    blocks: info.blocks.map(({ start, end, crc32 }) => ({ start, end, crc32 })),
    crc32: info.crc32,
    sha256: input.sha256(input.bytes),
    ...(firmware.entryAddress !== undefined ? { entryAddress: firmware.entryAddress } : {}),
    ...(info.vectorTable ? { vectorTable: info.vectorTable } : {}),
    ...(firmware.dfu
      ? {
          dfu: {
            vendorId: firmware.dfu.vendorId,
            productId: firmware.dfu.productId,
            alternates: [...new Set((firmware.targets ?? []).map((target) => target.alternate))].sort((a, b) => a - b),
          },
        }
      : {}),
    ...(isRawBinary ? { rawBase: { address: baseAddress, isChosen: input.baseAddress !== undefined } } : {}),
    warnings,
    loadedAt: input.now,
  };
  return {
    summary,
    bytes: input.bytes,
    firmware,
    image: firmware.image,
    ...(isRawBinary ? { baseAddress } : {}),
    ...(input.format === 'binary' ? { format: 'binary' as const } : {}),
  };
}

/** The summary of bytes read back from a device (no file behind them). */
export function summarizeReadBack(image: MemoryImage, fileName: string, now: number): ImageSummary {
  const info = summarizeImage(image);
  return {
    fileName,
    format: 'binary',
    sizeBytes: info.sizeBytes,
    fileSizeBytes: info.sizeBytes,
    blocks: info.blocks.map(({ start, end, crc32 }) => ({ start, end, crc32 })),
    crc32: info.crc32,
    ...(info.vectorTable ? { vectorTable: info.vectorTable } : {}),
    warnings: [],
    loadedAt: now,
  };
}

/** What "Save as" offers for each format: the converter's format, the extension and the dialog filter. */
export const SAVE_AS_CHOICES: Readonly<Record<ImageSaveFormat, { readonly format: OutputFormat; readonly extension: string; readonly filter: FileFilter }>> = {
  hex: { format: 'intel-hex', extension: 'hex', filter: { name: 'Intel HEX', extensions: ['hex', 'ihx', 'ihex'] } },
  srec: { format: 'srec', extension: 'srec', filter: { name: 'Motorola S-record', extensions: ['srec', 's19', 's28', 's37', 'mot'] } },
  bin: { format: 'binary', extension: 'bin', filter: { name: 'Raw binary', extensions: ['bin'] } },
  dfu: { format: 'dfuse', extension: 'dfu', filter: { name: 'DfuSe file', extensions: ['dfu'] } },
};

/** "blinky.hex" saved as S-records is offered as "blinky.srec"; a name without extension gets one. */
export function saveAsFileName(fileName: string, extension: string): string {
  const dot = fileName.lastIndexOf('.');
  const stem = dot > 0 ? fileName.slice(0, dot) : fileName;
  return `${stem || 'image'}.${extension}`;
}

/**
 * The loaded image written as `format` (core/image/convert.ts, which reads every output back before
 * handing it out). `fill` fills a raw binary's gaps. Returns the bytes and what the log says about them.
 */
export function convertLoadedImage(loaded: LoadedImage, format: OutputFormat, fill: number): { bytes: Uint8Array; note: string } {
  const converted = convertFirmware(loaded.firmware, format, { fill });
  const gaps = loaded.image.blocks.length - 1;
  const note =
    format === 'binary'
      ? `; a raw binary has no addresses: its first byte belongs at ${formatAddress(converted.start)}${gaps > 0 ? `, and ${gaps} gap${gaps === 1 ? ' was' : 's were'} filled with 0x${formatHexByte(fill)}` : ''}`
      : '';
  return { bytes: converted.bytes, note: `${FORMAT_NAMES[format]}, ${formatCount(converted.bytes.length)} bytes${note}` };
}
