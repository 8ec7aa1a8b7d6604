// A firmware file as the service keeps it: the parsed image (stays in main) and the ImageSummary the
// window sees. Pure apart from the injected hash.

import type { FileGrant, ImageSummary } from '../../core/contract/programmer.js';
import { formatAddress } from '../../core/format.js';
import { loadFirmware, summarizeImage } from '../../core/image/firmwareFile.js';
import type { FirmwareFile, FirmwareFormat } from '../../core/image/firmwareFile.js';
import type { MemoryImage } from '../../core/image/memoryImage.js';

export interface LoadedImage {
  readonly summary: ImageSummary;
  /** The file's bytes: the job layer places them on each device it flashes (core/jobs/placeImage.ts). */
  readonly bytes: Uint8Array;
  readonly firmware: FirmwareFile;
  readonly image: MemoryImage;
  /** Where a raw binary was placed; kept so a reload places it the same way. */
  readonly baseAddress?: number;
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
    warnings,
    loadedAt: input.now,
  };
  return { summary, bytes: input.bytes, firmware, image: firmware.image, ...(isRawBinary ? { baseAddress } : {}) };
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
