// Reading a firmware file for flash, verify and image: the bytes, their SHA-256 (for reports) and
// the parsed image. How a file is read (its extension names the format, --format overrides it) is
// core's rule (core/image/firmwareFile.ts decideFormat/loadFirmware); this file adds what needs
// Node: a bounded read of a regular file (node/inputFile.ts), hashing, and the --format option.
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import type { ImageFormat } from '../core/contract/programmer.js';
import {
  FORMAT_NAMES,
  FORMAT_OPTION_NAMES,
  decideFormat,
  loadFirmware,
  type FirmwareFile,
  type FirmwareFormat,
} from '../core/image/firmwareFile.js';
import { MAX_FIRMWARE_FILE_BYTES } from '../core/image/limits.js';
import { printable } from '../core/printable.js';
import { readRegularFile } from '../node/inputFile.js';
import { stringOption, usageError, type OptionSpecs, type OptionValues } from './args.js';

export interface FirmwareInput {
  readonly path: string;
  /** The base name, safe to print (control characters escaped). */
  readonly fileName: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly format: ImageFormat;
  /** The format the user named with --format, passed on to every later read of the bytes. */
  readonly explicitFormat?: FirmwareFormat;
  /** Raw binaries carry no address: they are placed once the base address is known. */
  readonly needsBaseAddress: boolean;
}

/** --format, for every command that reads a firmware file. */
export const formatOption: OptionSpecs = {
  format: {
    type: 'string',
    value: 'FORMAT',
    description:
      'read FILE as hex, srec, elf, dfu or bin whatever its name says (bin: a raw binary, placed at --address)',
  },
};

/** The --format value, or undefined when none was given; a usage error names the choices. */
export function formatArgument(values: OptionValues): FirmwareFormat | undefined {
  const text = stringOption(values, 'format');
  if (text === undefined) return undefined;
  const format = FORMAT_OPTION_NAMES[text.toLowerCase()];
  if (format === undefined)
    throw usageError('--format', `'${printable(text, 40)}' is not a format: use hex, srec, elf, dfu or bin`);
  return format;
}

export function readFirmwareInput(path: string, cwd: string, options: { format?: FirmwareFormat } = {}): FirmwareInput {
  const absolute = resolve(cwd, path);
  const fileName = printable(basename(path));
  const bytes = readRegularFile(absolute, { fileName, maxBytes: MAX_FIRMWARE_FILE_BYTES });
  // Decided now, before any device is opened: a file that will be refused is refused first.
  const { format } = decideFormat(bytes, { fileName, ...(options.format !== undefined && { format: options.format }) });
  return {
    path: absolute,
    fileName,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    format,
    ...(options.format !== undefined && { explicitFormat: options.format }),
    needsBaseAddress: format === 'binary' || format === 'binary-dfu-suffix',
  };
}

/** Parses the file; `baseAddress` is used only by raw binaries. */
export function parseFirmwareInput(input: FirmwareInput, baseAddress: number | undefined): FirmwareFile {
  return loadFirmware(input.bytes, {
    fileName: input.fileName,
    ...(baseAddress !== undefined ? { baseAddress } : {}),
    ...(input.explicitFormat !== undefined ? { format: input.explicitFormat } : {}),
  });
}

export const formatNames: Readonly<Record<ImageFormat, string>> = FORMAT_NAMES;
