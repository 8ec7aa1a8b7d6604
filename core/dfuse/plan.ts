// The program planner (pure): what will be erased, written and verified, computed before anything
// touches the device, as probe-rs does. The session executes a plan and never decides on its own
// which memory to erase or write. planProgram runs the stages in order: refusals (planChecks.ts),
// the options that apply, what differs from the device (differential), what is erased
// (eraseDecision.ts), what outside the image is kept or lost, the chunks, the estimate
// (planEstimate.ts). Warning texts are in planWarnings.ts, the plan's text form in planText.ts.
import { familyFacts } from '../devices/stm32.js';
import { DfuError } from '../errors.js';
import { complementIn, MemoryImage, mergeRanges, rangeLength, totalLength, type AddressRange, type Block } from '../image/memoryImage.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import { blankCheckRefusal, decideErase } from './eraseDecision.js';
import { flashSizeLimit } from './flashLimit.js';
import { checkMassErase } from './massErase.js';
import { regionRange, sectorsIn, type MemoryRegion, type Sector } from './memoryLayout.js';
import { checkRealFlash, checkRole, checkWritable, layoutOf } from './planChecks.js';
import { estimatePlanMs } from './planEstimate.js';
import {
  destroysDataWarning,
  differentialIgnoredWarning,
  eraseSkippedWarning,
  massEraseClearsWarning,
  needsReadWarning,
  preserveIgnoredWarning,
  preservingWarning,
} from './planWarnings.js';
import { mainFlashOf, type RegionRole } from './regionRole.js';

export { formatPlan } from './planText.js';

export type EraseMode = 'touched' | 'mass' | 'none';

export interface ProgramOptions {
  /** 'touched': only the sectors the image touches; 'mass': the whole region; 'none': no erase (warned). */
  readonly erase: EraseMode;
  /** Read the device first; erase and write only sectors whose content differs from the image. */
  readonly differential?: boolean;
  /** Keep the bytes of partially covered sectors that lie outside the image (read first, write back). */
  readonly preserve?: boolean;
  readonly verify: boolean;
  /** Do not send chunks that equal the erased value into freshly erased sectors. Default true. */
  readonly skipErasedChunks?: boolean;
  /**
   * Read each sector before erasing it and leave a blank one (only the erased value) alone: a fresh
   * chip needs no erase at all. Only where a unit that reads erased can be programmed (no ECC:
   * FamilyFacts.rewriteBehaviour 'and' or 'keep-old'); see blankSectorCheck(). Default true.
   */
  readonly skipBlankSectors?: boolean;
  /** Leave DFU mode and start the application afterwards. */
  readonly leave?: boolean;
  /**
   * With erase 'touched', use one mass erase when the image touches every erasable sector and the
   * family's mass erase is faster (L0: 1 command instead of 1536). Default true.
   */
  readonly massEraseWhenFaster?: boolean;
  /**
   * The real size of Internal Flash in bytes, for parts whose bootloader describes more (L072xB:
   * 192 KiB described, 128 KiB real; reference §7.3 item 5). Bytes at or above start + size are
   * refused, and a mass erase becomes a sector erase of the flash below the limit (flashLimit.ts).
   * At or above the described size it changes nothing. Must end on a sector boundary.
   */
  readonly flashSizeBytes?: number;
}

export type PlanWarningKind =
  | 'erase-skipped'
  | 'destroys-data'
  | 'preserving'
  | 'mass-erase'
  | 'flash-overstated'
  | 'needs-read'
  | 'option-ignored';

export interface PlanWarning {
  readonly kind: PlanWarningKind;
  readonly message: string;
  readonly range?: AddressRange;
  readonly sector?: number;
}

/** One DNLOAD: at most wTransferSize bytes, starting on a program-unit boundary. */
/**
 * A sector the plan erases that the image covers only in part: what lies outside the image there
 * (its head, its tail or both) is lost by the erase unless it is blank or preserved. The job layer
 * reads those bytes (one read per part) before anyone is asked about them (core/jobs/partialSectors.ts).
 */
export interface PartialSector {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** The parts of the sector outside the image. */
  readonly outside: readonly AddressRange[];
  /** Which parts those are: before the image, after it, both, or between its blocks. */
  readonly where: 'head' | 'tail' | 'head and tail' | 'gaps';
  /**
   * 'unknown': not read yet; 'blank': the device holds only the erased value there (nothing lost);
   * 'data': lostBytes bytes there are not erased and the erase destroys them; 'preserved': read
   * first and written back.
   */
  readonly state: 'unknown' | 'blank' | 'data' | 'preserved';
  /** Bytes outside the image that are not the erased value (state 'data'). */
  readonly lostBytes?: number;
}

export interface PlanChunk {
  readonly address: number;
  readonly data: Uint8Array;
}

export interface ProgramPlan {
  readonly alternate: number;
  readonly region: string;
  /** What the region is for; the session refuses to run an 'otp' plan without the 'write-otp' confirmation. */
  readonly role: RegionRole;
  readonly eraseMode: EraseMode;
  readonly isDifferential: boolean;
  /** Sectors the plan erases, ascending: for 'mass' every erasable sector of the region; empty for 'none'. */
  readonly sectors: readonly Sector[];
  /**
   * The executor reads each of `sectors` first (stopping at the first byte that is not erased) and
   * does not erase one that reads blank (core/dfuse/blankCheck.ts). False for mass erase, no erase,
   * flash with ECC, and a region whose described size is in doubt.
   */
  readonly blankCheck: boolean;
  /** In address order; a chunk never crosses a multiple of `transferSize`. */
  readonly chunks: readonly PlanChunk[];
  readonly verifyRanges: readonly AddressRange[];
  /** Parts of erased sectors outside the image that are read first and written back. */
  readonly preserveRanges: readonly AddressRange[];
  /**
   * What must be read from the device before this plan is final (differential or preserve without
   * the device content). The session reads it and plans again; a plan with readRanges is complete
   * only as a "full write" fallback.
   */
  readonly readRanges: readonly AddressRange[];
  /** The bytes verification compares against: the image plus preserved bytes. */
  readonly expected: MemoryImage;
  readonly warnings: readonly PlanWarning[];
  readonly bytesToWrite: number;
  readonly estimatedMs: number;
  readonly transferSize: number;
  readonly erasedValue: number;
  readonly options: ProgramOptions;
  /** Differential: indexes of touched sectors left alone because they already hold the image. */
  readonly unchangedSectors: readonly number[];
  /** Chunks not sent because they equal the erased value in a freshly erased sector. */
  readonly skippedChunks: number;
  /** Erased sectors the image covers only in part, ascending (empty for mass erase and no erase). */
  readonly partialSectors: readonly PartialSector[];
}

export interface PlanInput {
  readonly image: MemoryImage;
  readonly info: DeviceInfo;
  readonly alternate: number;
  readonly options: ProgramOptions;
  /** Device bytes read beforehand (differential and preserve modes). Absolute addresses. */
  readonly deviceContent?: MemoryImage;
}

/** Plans one alt setting. Every byte of `image` must lie in a writable segment of that region. */
export function planProgram(input: PlanInput): ProgramPlan {
  const { image, info, options, deviceContent } = input;
  const alt = layoutOf(info, input.alternate);
  const region = alt.layout.region;
  const facts = familyFacts(info.family);
  const erasedValue = facts.erasedValue;
  const unit = Math.max(1, facts.programUnitBytes);
  const transferSize = chunkSizeFor(info.functional.transferSize, unit);
  const warnings: PlanWarning[] = [];

  // 1. Refusals.
  if (image.isEmpty) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'image', reason: `no bytes to write into ${region.name}` });
  }
  checkRole(image, alt);
  checkWritable(image, region);
  const limit = flashSizeLimit(info, region, alt.role, options.flashSizeBytes);
  const hasUserSize = options.flashSizeBytes !== undefined;
  for (const warning of checkRealFlash({ image, info, region, role: alt.role, limit, hasUserSize })) warnings.push(warning);

  // 2. The options that apply to this region.
  const hasErasable = region.segments.some((s) => s.erasable);
  if (options.erase === 'mass' && !hasErasable) {
    throw new DfuError({ kind: 'not-erasable', address: regionRange(region).start, region: region.name });
  }
  if (options.erase === 'mass') {
    for (const message of checkMassErase({ info, alternate: alt.alternate, limit, hasUserSize })) warnings.push({ kind: 'mass-erase', message });
  }
  const requested: EraseMode = options.erase === 'touched' && !hasErasable ? 'none' : options.erase;
  const isDifferential = options.differential === true && requested !== 'mass';
  if (options.differential === true && !isDifferential) warnings.push(differentialIgnoredWarning());
  const wantsPreserve = options.preserve === true && requested === 'touched';
  if (options.preserve === true && !wantsPreserve) warnings.push(preserveIgnoredWarning(requested));

  // 3. Differential: a sector whose image bytes already equal the device's is neither erased nor written.
  const touched = touchedSectors(image, region);
  const comparison = isDifferential ? compareWithDevice(image, touched, deviceContent) : { unchanged: new Set<number>(), readRanges: [] };
  if (comparison.readRanges.length > 0) warnings.push(needsReadWarning(comparison.readRanges.length));
  const readRanges: AddressRange[] = [...comparison.readRanges];
  const unchanged = comparison.unchanged;
  const toWrite = touched.filter((s) => !unchanged.has(s.index));

  // 4. What is erased.
  const erase = decideErase({
    info,
    alternate: alt.alternate,
    region,
    requested,
    toWrite,
    limit,
    hasUserSize,
    massEraseWhenFaster: options.massEraseWhenFaster !== false,
  });
  for (const warning of erase.warnings) warnings.push(warning);
  const erased = new Set(erase.sectors.map((s) => s.index));
  const isErased = (sector: Sector): boolean => erased.has(sector.index);
  const blankCheck =
    options.skipBlankSectors !== false &&
    !erase.isMassBelowLimit &&
    erase.sectors.length > 0 &&
    !warnings.some((w) => w.kind === 'flash-overstated') &&
    blankCheckRefusal(info, erase.mode, erase.sectors, erasedValue) === undefined;

  // 5. Data outside the image in a sector the plan erases is lost unless preserved (reference §7.3:
  //    never destroy silently).
  const preserveRanges: AddressRange[] = [];
  const partialSectors: PartialSector[] = [];
  const isSectorByChoice = erase.mode === 'touched' && !erase.isMassBelowLimit;
  for (const sector of isSectorByChoice ? erase.sectors : []) {
    const outside = complementIn(sector, image);
    if (outside.length === 0) continue;
    const part = { index: sector.index, start: sector.start, end: sector.end, outside, where: whereOutside(sector, outside) };
    if (wantsPreserve) {
      for (const range of outside) preserveRanges.push(range);
      partialSectors.push({ ...part, state: 'preserved' });
      continue;
    }
    const known = outside.every((r) => deviceContent?.covers(r) === true);
    const lost = known ? outside.reduce((n, r) => n + countNotEqual(deviceContent!.read(r, erasedValue), erasedValue), 0) : undefined;
    partialSectors.push(lost === undefined ? { ...part, state: 'unknown' } : lost === 0 ? { ...part, state: 'blank' } : { ...part, state: 'data', lostBytes: lost });
    // A differential plan without the device's content erases every touched sector "until read".
    if (lost !== 0) warnings.push(destroysDataWarning(sector, totalLength(outside), lost, isDifferential && comparison.readRanges.length > 0));
  }
  if (preserveRanges.length > 0) {
    warnings.push(preservingWarning(totalLength(preserveRanges)));
    for (const range of preserveRanges) if (!deviceContent?.covers(range)) readRanges.push(range);
  }
  if (options.erase === 'mass') {
    const cleared = erase.isMassBelowLimit ? totalLength(erase.sectors) : region.segments.filter((s) => s.erasable).reduce((n, s) => n + rangeLength(s), 0);
    warnings.push(massEraseClearsWarning(cleared, region.name, image.size));
  }
  const unerasedTouched = erase.mode === 'none' ? touched.filter((s) => s.segment.erasable) : [];
  if (unerasedTouched.length > 0) warnings.push(eraseSkippedWarning(unerasedTouched.length, facts.rewriteBehaviour));

  // 6. What is written: the image in the sectors that change, plus preserved bytes; then the chunks.
  const preserved =
    wantsPreserve && deviceContent
      ? MemoryImage.fromBlocks(preserveRanges.filter((r) => deviceContent.covers(r)).flatMap((r) => deviceContent.slice(r).blocks))
      : MemoryImage.empty;
  const imagePart = unchanged.size ? MemoryImage.fromBlocks(toWrite.flatMap((s) => image.slice(s).blocks)) : image;
  const expected = preserved.isEmpty ? image : image.join(preserved);
  const writeImage = alignForProgramming(preserved.isEmpty ? imagePart : imagePart.join(preserved), region, unit, erasedValue);
  const { chunks, skippedChunks } = chunksOf(writeImage, {
    transferSize,
    // Chunks equal to the erased value need not be sent into sectors this plan erases.
    isSkippable: (data, range) =>
      options.skipErasedChunks !== false && erase.mode !== 'none' && countNotEqual(data, erasedValue) === 0 && sectorsIn(region, range).every(isErased),
  });

  // 7. What is verified, and how long it takes.
  // The whole image, differential or not: "verified" means every byte of it (the unchanged
  // sectors were only compared before the write, and a result must not rest on that).
  const verifyRanges = options.verify ? expected.ranges : [];
  const mergedReads = mergeRanges(readRanges);
  return {
    alternate: alt.alternate,
    region: region.name,
    role: alt.role,
    eraseMode: erase.mode,
    isDifferential,
    sectors: erase.sectors,
    blankCheck,
    chunks,
    verifyRanges,
    preserveRanges,
    readRanges: mergedReads,
    expected,
    warnings,
    bytesToWrite: chunks.reduce((n, c) => n + c.data.length, 0),
    estimatedMs: estimatePlanMs({ family: info.family, eraseMode: erase.mode, eraseSectors: erase.sectors, chunks, verifyRanges, readRanges: mergedReads, transferSize }),
    transferSize,
    erasedValue,
    options,
    unchangedSectors: [...unchanged].sort((a, b) => a - b),
    skippedChunks,
    partialSectors,
  };
}

/**
 * Splits an image by region and plans each alt setting that holds some of it (flash, data EEPROM,
 * OTP...). A byte in no region is refused, naming its address; so is a byte in an option-byte
 * region (planProgram says how option bytes are changed). A mass erase is for the main flash only
 * (massErase.ts): the other regions of a mass-erase plan erase what they touch.
 */
export function planImage(
  image: MemoryImage,
  info: DeviceInfo,
  options: ProgramOptions,
  deviceContent?: MemoryImage,
): ProgramPlan[] {
  const plans: ProgramPlan[] = [];
  const mainFlash = mainFlashOf(info)?.alternate;
  let rest = image;
  for (const alt of info.alternates) {
    if (!alt.layout) continue;
    const region = alt.layout.region;
    const part = MemoryImage.fromBlocks(region.segments.flatMap((s) => rest.slice(s).blocks));
    if (part.isEmpty) continue;
    const regionOptions: ProgramOptions = options.erase === 'mass' && alt.alternate !== mainFlash ? { ...options, erase: 'touched' } : options;
    plans.push(planProgram({ image: part, info, alternate: alt.alternate, options: regionOptions, deviceContent }));
    for (const segment of region.segments) rest = rest.without(segment);
  }
  if (!rest.isEmpty) {
    const address = rest.start;
    // An image that runs off the end of a region is "too large", not "in the wrong place".
    const overflowed = info.alternates.find((a) => a.layout && regionRange(a.layout.region).end === address && image.contains(address - 1));
    if (overflowed?.layout) {
      const block = image.blocks.find((b) => b.start < address && b.start + b.data.length > address);
      throw new DfuError({
        kind: 'image-too-large',
        imageEnd: block ? block.start + block.data.length : rest.end,
        regionEnd: address,
        region: overflowed.layout.region.name,
      });
    }
    throw new DfuError({ kind: 'not-writable', address, detail: 'the address is in no memory region of this device' });
  }
  if (plans.length === 0) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'image', reason: 'the image is empty' });
  }
  return plans;
}

/** Each chunk must hold whole program units (ECC families cannot program a unit twice). */
function chunkSizeFor(transferSize: number, unit: number): number {
  const size = Math.floor(transferSize / unit) * unit;
  return size > 0 ? size : unit;
}

function touchedSectors(image: MemoryImage, region: MemoryRegion): Sector[] {
  const byIndex = new Map<number, Sector>();
  for (const range of image.ranges) for (const sector of sectorsIn(region, range)) byIndex.set(sector.index, sector);
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** Which touched sectors already hold the image, and which must be read before that is known. */
function compareWithDevice(
  image: MemoryImage,
  touched: readonly Sector[],
  deviceContent: MemoryImage | undefined,
): { unchanged: Set<number>; readRanges: AddressRange[] } {
  const unchanged = new Set<number>();
  const readRanges: AddressRange[] = [];
  for (const sector of touched) {
    const part = image.slice(sector);
    if (!deviceContent || !part.ranges.every((r) => deviceContent.covers(r))) readRanges.push({ start: sector.start, end: sector.end });
    else if (sameAsDevice(part, deviceContent)) unchanged.add(sector.index);
  }
  return { unchanged, readRanges };
}

function sameAsDevice(part: MemoryImage, device: MemoryImage): boolean {
  for (const block of part.blocks) {
    const actual = device.read({ start: block.start, end: block.start + block.data.length }, 0);
    for (let i = 0; i < actual.length; i++) if (actual[i] !== block.data[i]) return false;
  }
  return true;
}

function whereOutside(sector: AddressRange, outside: readonly AddressRange[]): PartialSector['where'] {
  const hasHead = outside[0]!.start === sector.start;
  const hasTail = outside[outside.length - 1]!.end === sector.end;
  const inner = outside.length - (hasHead ? 1 : 0) - (hasTail ? 1 : 0);
  if (inner > 0) return 'gaps';
  return hasHead && hasTail ? 'head and tail' : hasHead ? 'head' : 'tail';
}

function countNotEqual(bytes: Uint8Array, value: number): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== value) n++;
  return n;
}

/**
 * Pads the parts in erasable segments to whole program units with the erased value, never past the
 * segment that holds them: a segment that starts or ends off a unit boundary (an odd descriptor
 * such as /0x08000001/5*6 g) gets a partial unit there rather than a byte outside what the device
 * says is writable. Parts in writable-only segments (data EEPROM, OTP: type 'e') are byte-writable
 * and never padded, because padding there would overwrite live bytes.
 */
function alignForProgramming(image: MemoryImage, region: MemoryRegion, unit: number, erasedValue: number): MemoryImage {
  if (unit <= 1) return image;
  const blocks: Block[] = [];
  for (const segment of region.segments) {
    const part = image.slice(segment);
    if (part.isEmpty) continue;
    // Loops, not push(...blocks): an image may have more blocks than a call may take arguments.
    const aligned = segment.erasable ? part.aligned(unit, erasedValue).slice(segment) : part;
    for (const block of aligned.blocks) blocks.push(block);
  }
  return MemoryImage.fromBlocks(blocks);
}

/** DNLOAD-sized pieces: at most `transferSize` bytes, never crossing a multiple of it. */
function chunksOf(
  image: MemoryImage,
  rules: { readonly transferSize: number; readonly isSkippable: (data: Uint8Array, range: AddressRange) => boolean },
): { chunks: PlanChunk[]; skippedChunks: number } {
  const chunks: PlanChunk[] = [];
  let skippedChunks = 0;
  for (const block of image.blocks) {
    const end = block.start + block.data.length;
    for (let address = block.start; address < end; ) {
      const next = Math.min(end, (Math.floor(address / rules.transferSize) + 1) * rules.transferSize);
      const data = block.data.subarray(address - block.start, next - block.start);
      const range = { start: address, end: next };
      address = next;
      if (rules.isSkippable(data, range)) skippedChunks++;
      else chunks.push({ address: range.start, data });
    }
  }
  return { chunks, skippedChunks };
}
