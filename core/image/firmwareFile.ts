// One entry point for every firmware file DFU Desk reads. The format is decided by the content,
// never by the extension: users rename files, and tools disagree on extensions (.s19/.srec/.mot,
// .hex/.ihex, .bin/.dfu for suffixed binaries).

import type { ImageFormat } from '../contract/programmer.js';
import { DfuError } from '../errors.js';
import { formatAddress } from '../format.js';
import { parseBinary } from './binary.js';
import { findOverlap } from './blockBuilder.js';
import { DFUSE_BCD_DFU, hasDfuSePrefix, hasDfuSuffix, parseDfuFile, readDfuSuffix, type DfuTarget } from './dfuFile.js';
import { hasElfMagic, parseElf } from './elf.js';
import { parseIntelHex } from './intelHex.js';
import { MemoryImage } from './memoryImage.js';
import { parseSrec } from './srec.js';

export { summarizeImage, type ImageSummaryInfo, type ImageBlockInfo, type VectorTableCheck } from './imageSummary.js';

export interface FirmwareFile {
  readonly format: ImageFormat;
  /**
   * What to program. For a .dfu file: the targets of the lowest alt setting present (normally 0,
   * "Internal Flash"); every target, with its alt setting, is in `targets`.
   */
  readonly image: MemoryImage;
  readonly targets?: readonly DfuTarget[];
  /** HEX start address, S7/S8/S9 address or ELF e_entry, when the file names one. */
  readonly entryAddress?: number;
  /** Identity from a DFU suffix (.dfu files and suffixed binaries). */
  readonly dfu?: { readonly vendorId: number; readonly productId: number; readonly bcdDevice: number; readonly bcdDfu: number };
  readonly warnings: readonly string[];
}

export interface LoadFirmwareOptions {
  /** Only used in error messages and warnings. */
  readonly fileName?: string;
  /** Where a raw binary goes: such files carry no address. Ignored for formats that have addresses. */
  readonly baseAddress?: number;
}

/** How many leading bytes must look like text before a ':' or 'S' file is read as text. */
const TEXT_PROBE_LENGTH = 256;

export function detectFormat(bytes: Uint8Array): ImageFormat {
  if (hasElfMagic(bytes)) return 'elf';
  if (hasDfuSePrefix(bytes)) return 'dfuse';
  const first = firstTextByte(bytes);
  if (first !== undefined && looksLikeText(bytes)) {
    if (bytes[first] === 0x3a) return 'intel-hex';
    const next = bytes[first + 1] ?? 0;
    if ((bytes[first] === 0x53 || bytes[first] === 0x73) && next >= 0x30 && next <= 0x39) return 'srec';
  }
  return hasDfuSuffix(bytes) ? 'binary-dfu-suffix' : 'binary';
}

export function loadFirmware(bytes: Uint8Array, options: LoadFirmwareOptions = {}): FirmwareFile {
  const file = options.fileName;
  const where = file !== undefined ? { file } : {};
  if (bytes.length === 0) throw new DfuError({ kind: 'image-format', format: 'binary', reason: 'the file is empty', ...where });
  const format = detectFormat(bytes);
  switch (format) {
    case 'intel-hex': {
      const { text, dfu } = textOf(bytes, where);
      const { image, startAddress } = parseIntelHex(text, where);
      const entryAddress = startAddress?.kind === 'linear' ? startAddress.address : startAddress ? startAddress.cs * 16 + startAddress.ip : undefined;
      return { format, image, warnings: [], ...(entryAddress !== undefined && { entryAddress }), ...(dfu && { dfu }) };
    }
    case 'srec': {
      const { text, dfu } = textOf(bytes, where);
      const { image, startAddress, warnings } = parseSrec(text, where);
      return { format, image, warnings, ...(startAddress !== undefined && { entryAddress: startAddress }), ...(dfu && { dfu }) };
    }
    case 'elf': {
      const { image, entryAddress, warnings } = parseElf(bytes, where);
      return { format, image, entryAddress, warnings };
    }
    case 'dfuse': {
      const dfuFile = parseDfuFile(bytes, where);
      const { targets, vendorId, productId, bcdDevice, bcdDfu } = dfuFile;
      return { format, image: primaryImage(targets, file), targets, dfu: { vendorId, productId, bcdDevice, bcdDfu }, warnings: dfuFile.warnings };
    }
    case 'binary-dfu-suffix': {
      const { suffix, payload } = readDfuSuffix(bytes, where)!;
      const warnings =
        suffix.bcdDfu === DFUSE_BCD_DFU ? ['the DFU suffix says DfuSe (bcdDFU 0x011a) but the file has no DfuSe prefix: read as a raw binary'] : [];
      const { vendorId, productId, bcdDevice, bcdDfu } = suffix;
      return { format, image: placeBinary(payload, options), dfu: { vendorId, productId, bcdDevice, bcdDfu }, warnings };
    }
    case 'binary':
      return { format, image: placeBinary(bytes, options), warnings: [] };
  }
}

/** The text of a HEX or S-record file; `dfu-suffix -a` may have appended a suffix to it. */
function textOf(bytes: Uint8Array, where: { file?: string }): { text: string; dfu?: FirmwareFile['dfu'] } {
  const found = readDfuSuffix(bytes, where);
  if (!found) return { text: new TextDecoder().decode(bytes) };
  const { vendorId, productId, bcdDevice, bcdDfu } = found.suffix;
  return { text: new TextDecoder().decode(found.payload), dfu: { vendorId, productId, bcdDevice, bcdDfu } };
}

function placeBinary(bytes: Uint8Array, options: LoadFirmwareOptions): MemoryImage {
  if (options.baseAddress === undefined) {
    throw new DfuError({
      kind: 'invalid-argument',
      argument: 'baseAddress',
      reason: `${options.fileName ?? 'the file'} is a raw binary without addresses: give the address it belongs at (e.g. 0x08000000)`,
    });
  }
  return parseBinary(bytes, { baseAddress: options.baseAddress, ...(options.fileName !== undefined && { file: options.fileName }) });
}

/** The union of the targets for the lowest alt setting; two of them claiming one byte is an error. */
function primaryImage(targets: readonly DfuTarget[], file: string | undefined): MemoryImage {
  if (targets.length === 0) return MemoryImage.empty;
  const alternate = Math.min(...targets.map((t) => t.alternate));
  return imageOfTargets(targets, file, (target) => target.alternate === alternate);
}

/**
 * The union of the .dfu targets that `isWanted` picks (all by default). Two of them claiming one
 * byte is an error that names both targets and their alt settings.
 */
export function imageOfTargets(targets: readonly DfuTarget[], file: string | undefined, isWanted: (target: DfuTarget) => boolean = () => true): MemoryImage {
  const chosen = targets.map((target, index) => ({ target, index })).filter(({ target }) => isWanted(target));
  const ranges = chosen.flatMap(({ target, index }) => target.image.ranges.map((r) => ({ ...r, label: `target ${index} (alt ${target.alternate})` })));
  const overlap = findOverlap(ranges);
  if (overlap) {
    throw new DfuError({
      kind: 'image-format',
      format: 'dfuse',
      reason: `${overlap.first.label} and ${overlap.second.label} both hold ${formatAddress(overlap.second.start)}`,
      ...(file !== undefined && { file }),
    });
  }
  return MemoryImage.fromBlocks(chosen.flatMap(({ target }) => target.image.blocks));
}

/** Index of the first byte that is not whitespace (after a UTF-8 byte-order mark), if any. */
function firstTextByte(bytes: Uint8Array): number | undefined {
  let index = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (index < bytes.length && isWhitespace(bytes[index]!)) index++;
  return index < bytes.length ? index : undefined;
}

/** Printable ASCII and line breaks only, in the first bytes (a binary may start with 0x3A by chance). */
function looksLikeText(bytes: Uint8Array): boolean {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const end = Math.min(bytes.length, start + TEXT_PROBE_LENGTH);
  for (let i = start; i < end; i++) {
    const value = bytes[i]!;
    if (!isWhitespace(value) && (value < 0x20 || value > 0x7e)) return false;
  }
  return true;
}

function isWhitespace(value: number): boolean {
  return value === 0x20 || value === 0x09 || value === 0x0a || value === 0x0d;
}
