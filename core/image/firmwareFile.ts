// One entry point for every firmware file DFU Desk reads, and the one place that decides how a
// file is read. The rule a user can predict: the file's extension names the format it must hold
// (.hex is Intel HEX, .bin a raw binary...), and content that does not match is refused with the
// reason, never read some other way. A raw binary is read only when the name or the user says so
// (.bin, or an explicit format), or when the file carries a DFU suffix. Text is never firmware.
// The table and its reasons: docs/image-formats.md.

import type { ImageFormat } from '../contract/programmer.js';
import { DfuError } from '../errors.js';
import { formatAddress, formatCount, formatHexByte } from '../format.js';
import { printable } from '../printable.js';
import { parseBinary } from './binary.js';
import { DFUSE_BCD_DFU, hasDfuSePrefix, hasDfuSuffix, parseDfuFile, readDfuSuffix, type DfuTarget } from './dfuFile.js';
import { hasElfMagic, parseElf } from './elf.js';
import { parseIntelHex } from './intelHex.js';
import { MAX_FIRMWARE_FILE_BYTES } from './limits.js';
import { MemoryImage } from './memoryImage.js';
import { parseSrec } from './srec.js';

export { summarizeImage, type ImageSummaryInfo, type ImageBlockInfo, type VectorTableCheck } from './imageSummary.js';

/** The formats a user can name (CLI --format, an app's format choice); `binary` covers suffixed binaries too. */
export type FirmwareFormat = 'intel-hex' | 'srec' | 'elf' | 'dfuse' | 'binary';

/** What each format is called in messages, the CLI and the app. */
export const FORMAT_NAMES: Readonly<Record<ImageFormat, string>> = {
  'intel-hex': 'Intel HEX',
  srec: 'Motorola S-record',
  elf: 'ELF',
  dfuse: 'DfuSe .dfu',
  binary: 'raw binary',
  'binary-dfu-suffix': 'raw binary with DFU suffix',
};

/** The extensions that name a format (lower case, with the dot). */
export const FORMAT_EXTENSIONS: Readonly<Record<FirmwareFormat, readonly string[]>> = {
  'intel-hex': ['.hex', '.ihx', '.ihex'],
  srec: ['.srec', '.s19', '.s28', '.s37', '.mot'],
  elf: ['.elf', '.axf', '.out'],
  dfuse: ['.dfu'],
  binary: ['.bin'],
};

/** The short names the CLI's --format takes. */
export const FORMAT_OPTION_NAMES: Readonly<Record<string, FirmwareFormat>> = {
  hex: 'intel-hex',
  srec: 'srec',
  elf: 'elf',
  dfu: 'dfuse',
  bin: 'binary',
};

const OPTION_NAME_OF: Readonly<Record<FirmwareFormat, string>> = {
  'intel-hex': 'hex',
  srec: 'srec',
  elf: 'elf',
  dfuse: 'dfu',
  binary: 'bin',
};

export interface FirmwareFile {
  readonly format: ImageFormat;
  /** Every byte the file asks to write: for a .dfu file, all targets together (their alt settings are in `targets`). */
  readonly image: MemoryImage;
  readonly targets?: readonly DfuTarget[];
  /** HEX start address, S7/S8/S9 address or ELF e_entry, when the file names one. */
  readonly entryAddress?: number;
  /** The S-record header (S0), as it was written; print it through printable(). */
  readonly header?: string;
  /** Identity from a DFU suffix (.dfu files and suffixed binaries). */
  readonly dfu?: {
    readonly vendorId: number;
    readonly productId: number;
    readonly bcdDevice: number;
    readonly bcdDfu: number;
  };
  readonly warnings: readonly string[];
}

export interface LoadFirmwareOptions {
  /** Names the expected format by its extension; also used in error messages and warnings. */
  readonly fileName?: string;
  /** Where a raw binary goes: such files carry no address. Ignored for formats that have addresses. */
  readonly baseAddress?: number;
  /** The format the user named: overrides the extension (and is the only way to read an unknown extension as a raw binary). */
  readonly format?: FirmwareFormat;
}

/** The extension of `fileName` (lower case, with the dot), or '' when it has none. */
export function extensionOf(fileName: string): string {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** The format a file name's extension promises, or undefined for any other extension. */
export function formatOfFileName(fileName: string | undefined): FirmwareFormat | undefined {
  if (fileName === undefined) return undefined;
  const extension = extensionOf(fileName);
  for (const [format, extensions] of Object.entries(FORMAT_EXTENSIONS) as [FirmwareFormat, readonly string[]][]) {
    if (extensions.includes(extension)) return format;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// What the bytes are: a cheap look at the start of the file (at most PROBE_LENGTH bytes).

const PROBE_LENGTH = 4096;
const EXCERPT_LENGTH = 48;

/** What the start of a file looks like; `line`/`offset` locate the evidence. */
export type ContentKind =
  | { readonly kind: 'empty' }
  | { readonly kind: 'elf' }
  | { readonly kind: 'dfuse' }
  | { readonly kind: 'utf16'; readonly endian: 'little' | 'big' }
  | { readonly kind: 'blank' }
  | { readonly kind: 'intel-hex' }
  | { readonly kind: 'srec' }
  /** Text whose first non-blank line is not a record of either text format. */
  | { readonly kind: 'text'; readonly line: number; readonly excerpt: string }
  /** Bytes no text file holds (a control character other than tab, line breaks and form feed). */
  | { readonly kind: 'binary'; readonly offset: number; readonly value: number };

export function identifyContent(bytes: Uint8Array): ContentKind {
  if (bytes.length === 0) return { kind: 'empty' };
  if (hasElfMagic(bytes)) return { kind: 'elf' };
  if (hasDfuSePrefix(bytes)) return { kind: 'dfuse' };
  const utf16 = utf16Endian(bytes);
  if (utf16) return { kind: 'utf16', endian: utf16 };
  // `dfu-suffix -a` may have appended a binary suffix to a text file: look at the text before it.
  const end = Math.min(hasDfuSuffix(bytes) ? bytes.length - bytes[bytes.length - 5]! : bytes.length, PROBE_LENGTH);
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let i = start; i < end; i++) {
    const value = bytes[i]!;
    if ((value < 0x20 && value !== 0x09 && value !== 0x0a && value !== 0x0d && value !== 0x0c) || value === 0x7f)
      return { kind: 'binary', offset: i, value };
  }
  let line = 1;
  let i = start;
  for (; i < end; i++) {
    const value = bytes[i]!;
    if (value === 0x0a || (value === 0x0d && bytes[i + 1] !== 0x0a)) line++;
    else if (value !== 0x20 && value !== 0x09 && value !== 0x0d && value !== 0x0c) break;
  }
  if (i >= end)
    return end < bytes.length && end === PROBE_LENGTH ? { kind: 'text', line, excerpt: '' } : { kind: 'blank' };
  const first = bytes[i]!;
  const second = bytes[i + 1] ?? 0;
  const third = bytes[i + 2] ?? 0;
  if (first === 0x3a && isHexDigit(second)) return { kind: 'intel-hex' };
  if ((first === 0x53 || first === 0x73) && second >= 0x30 && second <= 0x39 && isHexDigit(third))
    return { kind: 'srec' };
  let lineEnd = i;
  while (lineEnd < end && bytes[lineEnd] !== 0x0a && bytes[lineEnd] !== 0x0d) lineEnd++;
  const excerpt = printable(
    new TextDecoder().decode(bytes.subarray(i, Math.min(lineEnd, i + EXCERPT_LENGTH * 4))).trimEnd(),
    EXCERPT_LENGTH,
  );
  return { kind: 'text', line, excerpt };
}

function isHexDigit(value: number): boolean {
  return (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x46) || (value >= 0x61 && value <= 0x66);
}

/**
 * UTF-16 text: a byte-order mark, or (no mark, as some editors write it) at least four ASCII
 * characters each followed (little-endian) or preceded (big-endian) by a zero byte.
 */
function utf16Endian(bytes: Uint8Array): 'little' | 'big' | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'little';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'big';
  const pairs = Math.min(bytes.length >> 1, 32);
  if (pairs < 4) return undefined;
  let little = true;
  let big = true;
  for (let p = 0; p < pairs; p++) {
    const a = bytes[2 * p]!;
    const b = bytes[2 * p + 1]!;
    little &&= b === 0 && isTextCharacter(a);
    big &&= a === 0 && isTextCharacter(b);
  }
  return little ? 'little' : big ? 'big' : undefined;
}

function isTextCharacter(value: number): boolean {
  return (value >= 0x20 && value < 0x7f) || value === 0x09 || value === 0x0a || value === 0x0d;
}

// ---------------------------------------------------------------------------------------------
// The rule.

/** How `describeContent` words what a file holds, with where the evidence is. */
function contentWords(content: ContentKind): {
  words: string;
  line?: number;
  offset?: number;
  suggests?: FirmwareFormat;
} {
  switch (content.kind) {
    case 'empty':
      return { words: 'the file is empty' };
    case 'elf':
      return { words: 'it is an ELF file (it starts with 7F "ELF")', offset: 0, suggests: 'elf' };
    case 'dfuse':
      return { words: 'it is a DfuSe file (it starts with "DfuSe")', offset: 0, suggests: 'dfuse' };
    case 'utf16':
      return {
        words: `it looks like UTF-16 text (${content.endian}-endian, what a Windows shell redirect or some editors write): save it as ASCII or UTF-8`,
        offset: 0,
      };
    case 'blank':
      return { words: 'it holds only blank lines' };
    case 'intel-hex':
      return { words: 'it holds Intel HEX records', suggests: 'intel-hex' };
    case 'srec':
      return { words: 'it holds S-records', suggests: 'srec' };
    case 'text':
      return {
        words: content.excerpt ? `it is text, not records: "${content.excerpt}"` : 'it is text, not records',
        line: content.line,
      };
    case 'binary':
      return {
        words: `byte 0x${formatHexByte(content.value)} at offset ${content.offset} is not text`,
        offset: content.offset,
      };
  }
}

function refuse(
  expected: FirmwareFormat | 'file',
  fileName: string | undefined,
  reason: string,
  at: { line?: number; offset?: number; couldBeRawBinary?: true },
): DfuError {
  return new DfuError({
    kind: 'image-format',
    format: expected === 'binary' ? 'binary' : expected,
    reason,
    ...(fileName !== undefined && { file: fileName }),
    ...(at.line !== undefined && { line: at.line }),
    ...(at.offset !== undefined && { offset: at.offset }),
    ...(at.couldBeRawBinary && { couldBeRawBinary: true as const }),
  });
}

/** "rename it to .elf, or name the format (--format elf)" for a content that is a known format. */
function renameHint(suggests: FirmwareFormat | undefined): string {
  if (suggests === undefined) return '';
  return `; rename it to ${FORMAT_EXTENSIONS[suggests][0]!}, or name the format (--format ${OPTION_NAME_OF[suggests]})`;
}

/**
 * Decides how `bytes` are read, or refuses with the reason (which file, which line or offset).
 * Returns the format, with a warning when the user's explicit choice overrides what the content
 * looks like.
 */
export function decideFormat(
  bytes: Uint8Array,
  options: { fileName?: string; format?: FirmwareFormat } = {},
): { format: ImageFormat; warnings: string[] } {
  const file = options.fileName;
  const content = identifyContent(bytes);
  if (content.kind === 'empty')
    throw refuse(options.format ?? formatOfFileName(file) ?? 'file', file, 'the file is empty', {});
  const explicit = options.format;
  const expected = explicit ?? formatOfFileName(file);
  const { words, line, offset, suggests } = contentWords(content);
  const at = { ...(line !== undefined && { line }), ...(offset !== undefined && { offset }) };
  const suffixed = hasDfuSuffix(bytes);

  if (expected === undefined) {
    // An extension that names no format: only content that says what it is may be read.
    if (content.kind === 'elf' || content.kind === 'dfuse' || content.kind === 'intel-hex' || content.kind === 'srec')
      return { format: content.kind, warnings: [] };
    const isBinaryLooking = content.kind === 'binary';
    if (suffixed && isBinaryLooking) return { format: 'binary-dfu-suffix', warnings: [] };
    const extension = file !== undefined ? extensionOf(file) : '';
    const named =
      file === undefined
        ? 'without a file name, the format is not known'
        : extension
          ? `the extension ${printable(extension, 16)} names no firmware format`
          : 'the file name has no extension to name its format';
    const advice = isBinaryLooking
      ? 'if it is a raw binary, rename it to .bin or say so (--format bin), and give the address it belongs at'
      : 'text is never flashed as firmware';
    throw refuse(
      'file',
      file,
      `${named}, and the content is not Intel HEX, S-records, ELF or DfuSe: ${words}; ${advice}`,
      isBinaryLooking ? { ...at, couldBeRawBinary: true } : at,
    );
  }

  switch (expected) {
    case 'intel-hex':
    case 'srec':
    case 'elf':
      if (content.kind === expected) return { format: expected, warnings: [] };
      throw refuse(expected, file, `not ${FORMAT_NAMES[expected]}: ${words}${renameHint(suggests)}`, at);
    case 'dfuse':
      if (content.kind === 'dfuse') return { format: 'dfuse', warnings: [] };
      // A plain DFU file (a binary with only a suffix, what dfu-util writes for non-DfuSe devices).
      if (suffixed && content.kind === 'binary') return { format: 'binary-dfu-suffix', warnings: [] };
      throw refuse(
        'dfuse',
        file,
        `not a DfuSe file: no "DfuSe" prefix and no DFU suffix; ${words}${renameHint(suggests)}`,
        at,
      );
    case 'binary': {
      const format: ImageFormat = suffixed ? 'binary-dfu-suffix' : 'binary';
      if (content.kind === 'binary') return { format, warnings: [] };
      if (explicit === 'binary') {
        return { format, warnings: [`read as a raw binary, as asked, although ${words}`] };
      }
      throw refuse('binary', file, `not a raw binary: ${words}${renameHint(suggests)}`, at);
    }
  }
}

export function loadFirmware(bytes: Uint8Array, options: LoadFirmwareOptions = {}): FirmwareFile {
  const file = options.fileName;
  const where = file !== undefined ? { file } : {};
  if (bytes.length > MAX_FIRMWARE_FILE_BYTES) {
    throw refuse(
      'file',
      file,
      `${formatCount(bytes.length)} bytes, more than any firmware file (limit ${formatCount(MAX_FIRMWARE_FILE_BYTES)})`,
      {},
    );
  }
  const decided = decideFormat(bytes, options);
  const format = decided.format;
  switch (format) {
    case 'intel-hex': {
      const { text, dfu } = textOf(bytes, where);
      const { image, startAddress } = parseIntelHex(text, where);
      const entryAddress =
        startAddress?.kind === 'linear'
          ? startAddress.address
          : startAddress
            ? startAddress.cs * 16 + startAddress.ip
            : undefined;
      return { format, image, warnings: [], ...(entryAddress !== undefined && { entryAddress }), ...(dfu && { dfu }) };
    }
    case 'srec': {
      const { text, dfu } = textOf(bytes, where);
      const { image, startAddress, header, warnings } = parseSrec(text, where);
      return {
        format,
        image,
        warnings,
        ...(startAddress !== undefined && { entryAddress: startAddress }),
        ...(header !== undefined && { header }),
        ...(dfu && { dfu }),
      };
    }
    case 'elf': {
      const { image, entryAddress, warnings } = parseElf(bytes, where);
      return { format, image, entryAddress, warnings };
    }
    case 'dfuse': {
      const dfuFile = parseDfuFile(bytes, where);
      const { targets, vendorId, productId, bcdDevice, bcdDfu } = dfuFile;
      return {
        format,
        image: imageOfTargets(targets, file),
        targets,
        dfu: { vendorId, productId, bcdDevice, bcdDfu },
        warnings: dfuFile.warnings,
      };
    }
    case 'binary-dfu-suffix': {
      const { suffix, payload } = readDfuSuffix(bytes, where)!;
      const warnings = [...decided.warnings];
      if (suffix.bcdDfu === DFUSE_BCD_DFU)
        warnings.push(
          'the DFU suffix says DfuSe (bcdDFU 0x011a) but the file has no DfuSe prefix: read as a raw binary',
        );
      const { vendorId, productId, bcdDevice, bcdDfu } = suffix;
      return {
        format,
        image: placeBinary(payload, options),
        dfu: { vendorId, productId, bcdDevice, bcdDfu },
        warnings,
      };
    }
    case 'binary':
      return { format, image: placeBinary(bytes, options), warnings: decided.warnings };
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
  return parseBinary(bytes, {
    baseAddress: options.baseAddress,
    ...(options.fileName !== undefined && { file: options.fileName }),
  });
}

/**
 * The union of the .dfu targets that `isWanted` picks (all by default). Two of them claiming one
 * byte is an error that names both targets and their alt settings. One sort over all blocks; the
 * names are only built for the error.
 */
export function imageOfTargets(
  targets: readonly DfuTarget[],
  file: string | undefined,
  isWanted: (target: DfuTarget) => boolean = () => true,
): MemoryImage {
  const pieces: { start: number; end: number; target: number }[] = [];
  targets.forEach((target, index) => {
    if (!isWanted(target)) return;
    for (const block of target.image.blocks)
      pieces.push({ start: block.start, end: block.start + block.data.length, target: index });
  });
  pieces.sort((a, b) => a.start - b.start);
  for (let i = 1; i < pieces.length; i++) {
    const first = pieces[i - 1]!;
    const second = pieces[i]!;
    if (second.start < first.end) {
      const label = (index: number) => `target ${index} (alt ${targets[index]!.alternate})`;
      throw new DfuError({
        kind: 'image-format',
        format: 'dfuse',
        reason: `${label(first.target)} and ${label(second.target)} both hold ${formatAddress(second.start)}`,
        ...(file !== undefined && { file }),
      });
    }
  }
  const blocks = [];
  for (const target of targets) if (isWanted(target)) for (const block of target.image.blocks) blocks.push(block);
  return MemoryImage.fromBlocks(blocks);
}
