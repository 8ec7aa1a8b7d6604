// ELF32 little-endian executables (System V ABI, "ELF" chapter; ARM's AAELF32 for the machine
// number). What a programmer must load is what the linker put in flash: every PT_LOAD segment at
// its PHYSICAL address (p_paddr, the load address). .data runs from RAM (p_vaddr) but is stored in
// flash right after .text, so using p_vaddr would write it into RAM and lose it.
//
// When section headers exist, each segment contributes only the allocated, file-backed sections
// it contains, placed at p_paddr + (sh_offset - p_offset). That is exactly what objcopy -O ihex
// writes, and it keeps ELF headers or alignment filler that a linker sometimes puts inside a
// segment out of the image. NOBITS sections (.bss) and segments without file bytes are skipped.

import { DfuError } from '../errors.js';
import { readU16LE, readU32LE } from '../bytes.js';
import { formatAddress } from '../format.js';
import { printable } from '../printable.js';
import { findOverlap } from './blockBuilder.js';
import { MemoryImage } from './memoryImage.js';

export interface ElfParseResult {
  readonly image: MemoryImage;
  /** e_entry; on Cortex-M it carries the Thumb bit (e.g. 0x08000043). */
  readonly entryAddress: number;
  readonly machine: number;
  readonly warnings: readonly string[];
}

const FORMAT = 'elf';
const EM_ARM = 40;
const ET_EXEC = 2;
const ET_DYN = 3;
const PT_LOAD = 1;
const SHT_NULL = 0;
const SHT_NOBITS = 8;
const SHF_ALLOC = 0x2;
const ELF32_HEADER_LENGTH = 52;
const PROGRAM_HEADER_LENGTH = 32;
const SECTION_HEADER_LENGTH = 40;
const ADDRESS_LIMIT = 0x1_0000_0000;

interface Section {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
}

interface Segment {
  readonly index: number;
  readonly offset: number;
  readonly paddr: number;
  readonly fileSize: number;
  hasSections: boolean;
}

interface Piece {
  readonly start: number;
  readonly end: number;
  readonly fileOffset: number;
  readonly label: string;
}

export function hasElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

export function parseElf(bytes: Uint8Array, options: { file?: string } = {}): ElfParseResult {
  const fail = (offset: number, reason: string): never => {
    throw new DfuError({ kind: 'image-format', format: FORMAT, reason, offset, ...(options.file !== undefined && { file: options.file }) });
  };
  const length = bytes.length;
  if (!hasElfMagic(bytes)) fail(0, 'no ELF signature (0x7F "ELF")');
  if (length < 6) fail(length, 'file ends inside the ELF identification');
  if (bytes[4] === 2) fail(4, 'ELF64 file: STM32 firmware is ELF32 (was it built for the host?)');
  if (bytes[4] !== 1) fail(4, `unknown ELF class ${bytes[4]}`);
  if (bytes[5] === 2) fail(5, 'big-endian ELF: STM32 (Cortex-M) firmware is little-endian');
  if (bytes[5] !== 1) fail(5, `unknown ELF data encoding ${bytes[5]}`);
  if (length < ELF32_HEADER_LENGTH) fail(length, `file ends inside the ELF header (${length} of ${ELF32_HEADER_LENGTH} bytes)`);

  const warnings: string[] = [];
  const type = readU16LE(bytes, 16);
  if (type === 1) fail(16, 'relocatable object file (.o): link it into an executable first');
  if (type !== ET_EXEC && type !== ET_DYN) fail(16, `ELF type ${type} is not an executable`);
  if (type === ET_DYN) warnings.push('position-independent (ET_DYN) ELF: loaded at its link addresses');
  const machine = readU16LE(bytes, 18);
  if (machine !== EM_ARM) warnings.push(`ELF machine ${machine} is not ARM (40)`);
  const entryAddress = readU32LE(bytes, 24);

  const phoff = readU32LE(bytes, 28);
  const phentsize = readU16LE(bytes, 42);
  const phnum = readU16LE(bytes, 44);
  if (phnum === 0) fail(44, 'no program headers: nothing to load');
  if (phentsize < PROGRAM_HEADER_LENGTH) fail(42, `program header size ${phentsize}, expected at least ${PROGRAM_HEADER_LENGTH}`);
  if (phoff + phnum * phentsize > length) {
    fail(28, `program header table (${phnum} x ${phentsize} bytes at offset ${phoff}) runs past the end of the file (${length} bytes)`);
  }

  const sections = readSections(bytes, warnings);
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (readU32LE(bytes, at) !== PT_LOAD) continue;
    const offset = readU32LE(bytes, at + 4);
    const paddr = readU32LE(bytes, at + 12);
    const fileSize = readU32LE(bytes, at + 16);
    const memorySize = readU32LE(bytes, at + 20);
    if (fileSize === 0) continue; // .bss-only segment: nothing is stored in flash
    if (offset + fileSize > length) {
      fail(at + 4, `segment ${i}: ${fileSize} bytes at file offset ${offset} run past the end of the file (${length} bytes)`);
    }
    if (paddr + fileSize > ADDRESS_LIMIT) fail(at + 12, `segment ${i}: ${fileSize} bytes at ${formatAddress(paddr)} run past the end of the 32-bit address space`);
    if (fileSize > memorySize) warnings.push(`segment ${i}: file size ${fileSize} exceeds memory size ${memorySize}`);
    segments.push({ index: i, offset, paddr, fileSize, hasSections: false });
  }

  const pieces: Piece[] = [];
  if (!sections) {
    for (const s of segments) pieces.push({ start: s.paddr, end: s.paddr + s.fileSize, fileOffset: s.offset, label: `segment ${s.index}` });
  } else {
    // Each section goes to the segment whose file range holds it: one binary search per section
    // keeps crafted files with thousands of both linear-logarithmic instead of quadratic.
    const byOffset = [...segments].sort((a, b) => a.offset - b.offset);
    for (const section of sections) {
      if (section.type === SHT_NOBITS || section.type === SHT_NULL || (section.flags & SHF_ALLOC) === 0 || section.size === 0) continue;
      const segment = lastAtOrBefore(byOffset, section.offset);
      if (!segment || section.offset + section.size > segment.offset + segment.fileSize) continue;
      segment.hasSections = true;
      const start = segment.paddr + (section.offset - segment.offset);
      pieces.push({ start, end: start + section.size, fileOffset: section.offset, label: `section ${printable(section.name)} (segment ${segment.index})` });
    }
    for (const s of segments) if (!s.hasSections) warnings.push(`segment ${s.index} holds no loadable section (ELF headers only?); skipped`);
  }
  const overlap = findOverlap(pieces);
  if (overlap) {
    fail(overlap.second.fileOffset, `${overlap.first.label} and ${overlap.second.label} both load at ${formatAddress(overlap.second.start)}`);
  }
  // Loaded bytes are copies of file bytes; a crafted file that maps one file range to many
  // addresses could otherwise make a small file allocate gigabytes.
  const loadedBytes = pieces.reduce((sum, piece) => sum + piece.end - piece.start, 0);
  if (loadedBytes > length) fail(32, `sections or segments reuse file bytes: ${loadedBytes} bytes to load from a ${length}-byte file`);
  const image = MemoryImage.fromBlocks(
    pieces.map((piece) => ({ start: piece.start, data: new Uint8Array(bytes.subarray(piece.fileOffset, piece.fileOffset + piece.end - piece.start)) })),
  );
  if (image.isEmpty) warnings.push('no loadable bytes');
  return { image, entryAddress, machine, warnings };
}

/** The segment with the highest file offset not above `offset` (segments sorted by offset). */
function lastAtOrBefore(segments: readonly Segment[], offset: number): Segment | undefined {
  let low = 0;
  let high = segments.length - 1;
  let found: Segment | undefined;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (segments[mid]!.offset <= offset) {
      found = segments[mid];
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

/** The section table, or undefined when the file has none (or a damaged one: then segments are loaded whole). */
function readSections(bytes: Uint8Array, warnings: string[]): Section[] | undefined {
  const shoff = readU32LE(bytes, 32);
  const shentsize = readU16LE(bytes, 46);
  const shnum = readU16LE(bytes, 48);
  const shstrndx = readU16LE(bytes, 50);
  if (shoff === 0 || shnum === 0) return undefined;
  if (shentsize < SECTION_HEADER_LENGTH || shoff + shnum * shentsize > bytes.length) {
    warnings.push('section header table is damaged or cut off; loading whole segments');
    return undefined;
  }
  const at = (index: number) => shoff + index * shentsize;
  const namesOffset = shstrndx < shnum ? readU32LE(bytes, at(shstrndx) + 16) : 0;
  const namesSize = shstrndx < shnum ? readU32LE(bytes, at(shstrndx) + 20) : 0;
  const nameOf = (index: number, nameOffset: number): string => {
    const start = namesOffset + nameOffset;
    const limit = Math.min(bytes.length, namesOffset + namesSize);
    if (shstrndx >= shnum || start >= limit) return `#${index}`;
    let end = start;
    while (end < limit && bytes[end] !== 0) end++;
    let name = '';
    for (let i = start; i < Math.min(end, start + 64); i++) name += String.fromCharCode(bytes[i]!);
    return name;
  };
  return Array.from({ length: shnum }, (_, index) => ({
    index,
    name: nameOf(index, readU32LE(bytes, at(index))),
    type: readU32LE(bytes, at(index) + 4),
    flags: readU32LE(bytes, at(index) + 8),
    offset: readU32LE(bytes, at(index) + 16),
    size: readU32LE(bytes, at(index) + 20),
  }));
}
