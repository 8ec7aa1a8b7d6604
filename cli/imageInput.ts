// Reading a firmware file for flash, verify and image: the bytes, their SHA-256 (for reports) and
// the parsed image. Format detection and parsing are core's (loadFirmware); this file adds what
// needs Node: the file system, hashing, and located errors for unreadable files.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { DfuError } from '../core/errors.js';
import { detectFormat, loadFirmware, type FirmwareFile } from '../core/image/firmwareFile.js';
import type { ImageFormat } from '../core/contract/programmer.js';

export interface FirmwareInput {
  readonly path: string;
  readonly fileName: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly format: ImageFormat;
  /** Raw binaries carry no address: they are placed once the base address is known. */
  readonly needsBaseAddress: boolean;
}

// Larger than any STM32 flash (H7: 2 MiB) with a wide margin; guards against `flash /dev/zero`.
const MAX_FILE_BYTES = 256 * 1024 * 1024;

export function readFirmwareInput(path: string, cwd: string): FirmwareInput {
  const absolute = resolve(cwd, path);
  const fileName = basename(path);
  let bytes: Uint8Array;
  try {
    const stat = statSync(absolute);
    if (stat.isDirectory()) throw fileError(fileName, 'is a directory, not a firmware file');
    if (stat.size > MAX_FILE_BYTES) throw fileError(fileName, `is ${stat.size} bytes, larger than any firmware image (limit ${MAX_FILE_BYTES})`);
    bytes = new Uint8Array(readFileSync(absolute));
  } catch (error) {
    if (error instanceof DfuError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? `no such file: ${absolute}` : code === 'EACCES' ? `no permission to read ${absolute}` : `cannot read ${absolute}: ${(error as Error).message}`;
    throw fileError(fileName, reason, error);
  }
  const format = detectFormat(bytes);
  return {
    path: absolute,
    fileName,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    format,
    needsBaseAddress: format === 'binary' || format === 'binary-dfu-suffix',
  };
}

/** Parses the file; `baseAddress` is used only by raw binaries. */
export function parseFirmwareInput(input: FirmwareInput, baseAddress: number | undefined): FirmwareFile {
  return loadFirmware(input.bytes, { fileName: input.fileName, ...(baseAddress !== undefined ? { baseAddress } : {}) });
}

function fileError(fileName: string, reason: string, cause?: unknown): DfuError {
  return new DfuError({ kind: 'image-format', format: 'file', file: fileName, reason }, { cause });
}

export const formatNames: Readonly<Record<ImageFormat, string>> = {
  'intel-hex': 'Intel HEX',
  srec: 'Motorola S-record',
  elf: 'ELF',
  dfuse: 'DfuSe .dfu',
  binary: 'raw binary',
  'binary-dfu-suffix': 'raw binary with DFU suffix',
};
