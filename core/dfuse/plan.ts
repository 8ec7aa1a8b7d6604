// The program planner (pure): what will be erased, written and verified, computed before anything
// touches the device, as probe-rs does. The session executes a plan and never decides on its own
// which memory to erase or write.
import { formatAddress, formatDuration, formatSize } from '../format.js';
import { familyFacts, knownFlashOverstatement } from '../devices/stm32.js';
import { DfuError } from '../errors.js';
import { MemoryImage, rangeLength, type AddressRange, type Block } from '../image/memoryImage.js';
import type { AlternateInfo, DeviceInfo } from '../usb/descriptors.js';
import { checkLimitOnSectorBoundary, describeFlashSizeLimit, flashSizeLimit, sectorsBelowLimit, type FlashSizeLimit } from './flashLimit.js';
import { checkMassErase } from './massErase.js';
import { regionRange, sectorsIn, segmentAt, type MemoryRegion, type Sector } from './memoryLayout.js';
import { mainFlashOf, type RegionRole } from './regionRole.js';
import { typicalEraseMs, typicalMassEraseMs, typicalProgramMs, typicalTransferMs } from './timing.js';

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

  if (image.isEmpty) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'image', reason: `no bytes to write into ${region.name}` });
  }
  checkRole(image, alt);
  checkWritable(image, region);
  const limit = flashSizeLimit(info, region, alt.role, options.flashSizeBytes);
  const hasUserSize = options.flashSizeBytes !== undefined;
  checkRealFlash(image, info, region, alt.role, limit, hasUserSize, warnings);

  let eraseMode = options.erase;
  const hasErasable = region.segments.some((s) => s.erasable);
  if (eraseMode === 'mass' && !hasErasable) {
    throw new DfuError({ kind: 'not-erasable', address: regionRange(region).start, region: region.name });
  }
  if (eraseMode === 'mass') {
    for (const message of checkMassErase({ info, alternate: alt.alternate, limit, hasUserSize })) warnings.push({ kind: 'mass-erase', message });
  }
  if (eraseMode === 'touched' && !hasErasable) eraseMode = 'none';

  const touched = touchedSectors(image, region);
  let isDifferential = options.differential === true;
  if (isDifferential && eraseMode === 'mass') {
    warnings.push({ kind: 'option-ignored', message: 'differential mode ignored: a mass erase clears every sector anyway' });
    isDifferential = false;
  }
  let preserve = options.preserve === true;
  if (preserve && eraseMode !== 'touched') {
    warnings.push({
      kind: 'option-ignored',
      message: eraseMode === 'mass' ? 'preserve ignored: a mass erase clears the whole region' : 'preserve not needed: nothing is erased',
    });
    preserve = false;
  }

  // Differential: a sector whose image bytes already equal the device's is neither erased nor written.
  const readRanges: AddressRange[] = [];
  const unchanged = new Set<number>();
  if (isDifferential) {
    let unknown = 0;
    for (const sector of touched) {
      const part = image.slice(sector);
      if (!deviceContent || !part.ranges.every((r) => deviceContent.covers(r))) {
        unknown++;
        readRanges.push({ start: sector.start, end: sector.end });
        continue;
      }
      if (sameAsDevice(part, deviceContent)) unchanged.add(sector.index);
    }
    if (unknown > 0) {
      warnings.push({
        kind: 'needs-read',
        message: `differential: ${unknown} sectors must be read from the device first; until then this is a full write`,
      });
    }
  }
  const toWrite = touched.filter((s) => !unchanged.has(s.index));
  const touchedErasable = eraseMode === 'touched' ? toWrite.filter((s) => s.segment.erasable) : [];
  const erasableBytes = region.segments.filter((s) => s.erasable).reduce((n, s) => n + rangeLength(s), 0);
  const erasableCount = region.segments.filter((s) => s.erasable).reduce((n, s) => n + s.sectorCount, 0);
  if (eraseMode === 'touched' && !limit && options.massEraseWhenFaster !== false && touchedErasable.length > 1 && touchedErasable.length === erasableCount && isMassEraseSafe(info, alt.alternate, hasUserSize)) {
    const sectorsMs = touchedErasable.reduce((ms, s) => ms + ERASE_COMMAND_MS + typicalEraseMs(info.family, s.end - s.start), 0);
    const massMs = ERASE_COMMAND_MS + typicalMassEraseMs(info.family, erasableBytes);
    if (massMs < sectorsMs) {
      eraseMode = 'mass';
      warnings.push({
        kind: 'mass-erase',
        message: `the image touches all ${erasableCount} sectors: one mass erase (about ${formatDuration(massMs)}) instead of ${erasableCount} sector erases (about ${formatDuration(sectorsMs)})`,
      });
    }
  }
  // Under a flash-size limit a mass erase is sent as sector erases of the real flash: the DfuSe
  // mass erase has no address and the bootloader erases what it describes (flashLimit.ts).
  const isMassBelowLimit = eraseMode === 'mass' && limit !== undefined;
  const eraseSectors = isMassBelowLimit
    ? sectorsBelowLimit(region, limit)
    : eraseMode === 'touched'
      ? touchedErasable
      : eraseMode === 'mass'
        ? region.segments.filter((s) => s.erasable).flatMap((s) => sectorsIn(region, s))
        : [];
  if (isMassBelowLimit) {
    eraseMode = 'touched';
    warnings.push({
      kind: 'mass-erase',
      message:
        `mass erase sent as ${eraseSectors.length} sector erases up to ${formatAddress(limit.end)}: ${describeFlashSizeLimit(limit, regionRange(region).start)} ` +
        'is below what a mass erase would cover',
    });
  } else if (limit) {
    checkLimitOnSectorBoundary(region, limit);
  }
  const erased = new Set(eraseSectors.map((s) => s.index));
  const isErased = (sector: Sector): boolean => erased.has(sector.index);

  // Data outside the image in a sector we erase is lost unless preserved (reference §7.3: never
  // destroy silently).
  const preserveRanges: AddressRange[] = [];
  for (const sector of eraseMode === 'touched' && !isMassBelowLimit ? eraseSectors : []) {
    const outside = complementIn(sector, image);
    if (outside.length === 0) continue;
    if (preserve) {
      preserveRanges.push(...outside);
      continue;
    }
    const known = outside.every((r) => deviceContent?.covers(r) === true);
    const lost = known ? outside.reduce((n, r) => n + countNotEqual(deviceContent!.read(r, erasedValue), erasedValue), 0) : undefined;
    if (lost === 0) continue;
    const outsideBytes = outside.reduce((n, r) => n + rangeLength(r), 0);
    warnings.push({
      kind: 'destroys-data',
      sector: sector.index,
      range: { start: sector.start, end: sector.end },
      message:
        lost === undefined
          ? `sector ${sector.index} [${formatAddress(sector.start)}, ${formatAddress(sector.end)}) is only partly covered by the image: ` +
            `erasing it destroys ${formatSize(outsideBytes)} that may hold data (use preserve to keep them)`
          : `sector ${sector.index} [${formatAddress(sector.start)}, ${formatAddress(sector.end)}) holds ${formatSize(lost)} of data outside ` +
            'the image that the erase destroys (use preserve to keep them)',
    });
  }
  if (preserve && preserveRanges.length > 0) {
    const bytes = preserveRanges.reduce((n, r) => n + rangeLength(r), 0);
    warnings.push({ kind: 'preserving', message: `preserving ${formatSize(bytes)} outside the image in partly covered sectors (read first, written back)` });
    for (const range of preserveRanges) if (!deviceContent?.covers(range)) readRanges.push(range);
  }
  if (options.erase === 'mass') {
    const cleared = isMassBelowLimit ? totalLength(eraseSectors) : erasableBytes;
    warnings.push({ kind: 'mass-erase', message: `mass erase clears all ${formatSize(cleared)} of ${region.name}, not only the ${formatSize(image.size)} of the image` });
  }
  const unerasedTouched = eraseMode === 'none' ? touched.filter((s) => s.segment.erasable) : [];
  if (unerasedTouched.length > 0) {
    warnings.push({
      kind: 'erase-skipped',
      message:
        `ERASE SKIPPED: ${unerasedTouched.length} erasable sectors will be written without an erase. ` +
        rewriteConsequence(facts.rewriteBehaviour) +
        ' Verification will show it.',
    });
  }

  // What is written: the image in the sectors that change, plus preserved bytes.
  const preserved =
    preserve && deviceContent
      ? MemoryImage.fromBlocks(preserveRanges.filter((r) => deviceContent.covers(r)).flatMap((r) => deviceContent.slice(r).blocks))
      : MemoryImage.empty;
  const imagePart = unchanged.size ? MemoryImage.fromBlocks(toWrite.flatMap((s) => image.slice(s).blocks)) : image;
  const expected = preserved.isEmpty ? image : image.join(preserved);
  const writeImage = alignForProgramming(preserved.isEmpty ? imagePart : imagePart.join(preserved), region, unit, erasedValue);

  const skipErased = options.skipErasedChunks !== false;
  const chunks: PlanChunk[] = [];
  let skippedChunks = 0;
  for (const block of writeImage.blocks) {
    const end = block.start + block.data.length;
    for (let address = block.start; address < end; ) {
      const next = Math.min(end, (Math.floor(address / transferSize) + 1) * transferSize);
      const data = block.data.subarray(address - block.start, next - block.start);
      const range = { start: address, end: next };
      address = next;
      if (skipErased && eraseMode !== 'none' && countNotEqual(data, erasedValue) === 0 && sectorsIn(region, range).every(isErased)) {
        skippedChunks++;
        continue;
      }
      chunks.push({ address: range.start, data });
    }
  }

  const verifySource = isDifferential && unchanged.size ? MemoryImage.fromBlocks(toWrite.flatMap((s) => expected.slice(s).blocks)) : expected;
  const verifyRanges = options.verify ? verifySource.ranges : [];
  const bytesToWrite = chunks.reduce((n, c) => n + c.data.length, 0);

  return {
    alternate: alt.alternate,
    region: region.name,
    role: alt.role,
    eraseMode,
    isDifferential,
    sectors: eraseSectors,
    chunks,
    verifyRanges,
    preserveRanges,
    readRanges: mergeRanges(readRanges),
    expected,
    warnings,
    bytesToWrite,
    estimatedMs: estimate({ info, eraseMode, eraseSectors, region, chunks, verifyRanges, readRanges, transferSize }),
    transferSize,
    erasedValue,
    options,
    unchangedSectors: [...unchanged].sort((a, b) => a - b),
    skippedChunks,
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

/** Compact text for snapshots, the CLI's --plan and logs. Ranges are [start, end). */
export function formatPlan(plan: ProgramPlan): string {
  const lines: string[] = [];
  const modes = [`erase ${plan.eraseMode}`];
  if (plan.isDifferential) modes.push('differential');
  if (plan.preserveRanges.length) modes.push('preserve');
  lines.push(`plan ${plan.region} (alt ${plan.alternate}): ${modes.join(', ')}; transfer ${plan.transferSize} B, erased 0x${plan.erasedValue.toString(16).toUpperCase().padStart(2, '0')}`);
  if (plan.readRanges.length) lines.push(`read first ${formatSize(totalLength(plan.readRanges))}: ${formatRanges(plan.readRanges)}`);
  if (plan.eraseMode === 'mass') lines.push(`erase: mass erase (${plan.sectors.length} sectors, ${formatSize(totalLength(plan.sectors))})`);
  else if (plan.sectors.length) {
    lines.push(`erase ${plan.sectors.length} sectors (${formatSize(totalLength(plan.sectors))}): ${formatSectorRuns(plan.sectors)}`);
  } else lines.push('erase: none');
  if (plan.unchangedSectors.length) lines.push(`unchanged ${plan.unchangedSectors.length} sectors: ${formatIndexRuns(plan.unchangedSectors)}`);
  const writeRanges = mergeRanges(plan.chunks.map((c) => ({ start: c.address, end: c.address + c.data.length })));
  lines.push(
    `write ${plan.bytesToWrite} B in ${plan.chunks.length} chunks${plan.skippedChunks ? ` (${plan.skippedChunks} erased chunks skipped)` : ''}` +
      (writeRanges.length ? `: ${formatRanges(writeRanges)}` : ''),
  );
  if (plan.preserveRanges.length) lines.push(`preserve ${formatSize(totalLength(plan.preserveRanges))}: ${formatRanges(plan.preserveRanges)}`);
  lines.push(plan.verifyRanges.length ? `verify ${formatSize(totalLength(plan.verifyRanges))}: ${formatRanges(plan.verifyRanges)}` : 'verify: none');
  for (const warning of plan.warnings) lines.push(`! ${warning.kind}: ${warning.message}`);
  lines.push(`estimated ${formatDuration(plan.estimatedMs)}`);
  return lines.join('\n');
}

function layoutOf(info: DeviceInfo, alternate: number): AlternateInfo & { layout: NonNullable<AlternateInfo['layout']> } {
  const alt = info.alternates.find((a) => a.alternate === alternate);
  if (!alt) {
    throw new DfuError({
      kind: 'invalid-argument',
      argument: 'alternate',
      reason: `the device has no alt setting ${alternate} (it has ${info.alternates.map((a) => `${a.alternate} "${a.name}"`).join(', ') || 'none'})`,
    });
  }
  if (!alt.layout) {
    if (alt.error) throw new DfuError(alt.error);
    throw new DfuError({ kind: 'invalid-argument', argument: 'alternate', reason: `alt setting ${alternate} has no memory layout` });
  }
  return alt as AlternateInfo & { layout: NonNullable<AlternateInfo['layout']> };
}

/** One DfuSe command: DNLOAD plus two GETSTATUS, about 1 ms each at full speed. */
const ERASE_COMMAND_MS = 3 * typicalTransferMs(5);

/** Each chunk must hold whole program units (ECC families cannot program a unit twice). */
function chunkSizeFor(transferSize: number, unit: number): number {
  const size = Math.floor(transferSize / unit) * unit;
  return size > 0 ? size : unit;
}

/**
 * The image path never writes option bytes (they change through the option-byte editor, or as a
 * whole raw block with its own confirmation: core/jobs), nor the bootloader's own windows.
 */
function checkRole(image: MemoryImage, alt: AlternateInfo & { layout: NonNullable<AlternateInfo['layout']> }): void {
  const region = alt.layout.region.name;
  switch (alt.role) {
    case 'option-bytes':
      throw new DfuError({
        kind: 'not-writable',
        address: image.start,
        region,
        detail:
          'option bytes are not written as part of a firmware image: change fields with the option-byte editor (dfu-desk options --set), ' +
          'or write a whole raw option-byte block with its own confirmation (dfu-desk flash --write-option-bytes)',
      });
    case 'device-feature':
    case 'system':
      throw new DfuError({ kind: 'not-writable', address: image.start, region, detail: `${region} belongs to the bootloader, not to firmware` });
    default:
      return;
  }
}

/** The planner picks a mass erase by itself only where it is known to work and the flash size is not in doubt. */
function isMassEraseSafe(info: DeviceInfo, alternate: number, hasUserSize: boolean): boolean {
  try {
    return checkMassErase({ info, alternate, limit: undefined, hasUserSize }).length === 0;
  } catch {
    return false;
  }
}

function checkWritable(image: MemoryImage, region: MemoryRegion): void {
  const bounds = regionRange(region);
  for (const block of image.blocks) {
    const end = block.start + block.data.length;
    for (let address = block.start; address < end; ) {
      const segment = segmentAt(region, address);
      if (!segment) {
        if (address >= bounds.end && image.start < bounds.end) {
          throw new DfuError({ kind: 'image-too-large', imageEnd: image.end, regionEnd: bounds.end, region: region.name });
        }
        throw new DfuError({
          kind: 'not-writable',
          address,
          region: region.name,
          detail:
            address < bounds.start || address >= bounds.end
              ? `outside the region [${formatAddress(bounds.start)}, ${formatAddress(bounds.end)})`
              : 'in a gap between the address blocks of the region',
        });
      }
      if (!segment.writable) {
        throw new DfuError({
          kind: 'not-writable',
          address,
          region: region.name,
          detail: `segment [${formatAddress(segment.start)}, ${formatAddress(segment.end)}) is not writable`,
        });
      }
      address = segment.end;
    }
  }
}

/**
 * The L072xB BL claims 192 KB for 128 KB of flash (reference §7.1, §7.3 item 5). Under a known
 * limit (the flash-size register or the user's flash size) writing at or above it is refused;
 * without one, an image that reaches above the real size of a known overstating part gets a
 * warning (a user who set a flash size has answered that question).
 */
function checkRealFlash(
  image: MemoryImage,
  info: DeviceInfo,
  region: MemoryRegion,
  role: RegionRole,
  limit: FlashSizeLimit | undefined,
  hasUserSize: boolean,
  warnings: PlanWarning[],
): void {
  if (role !== 'flash') return;
  const bounds = regionRange(region);
  if (limit) {
    if (image.end <= limit.end) return;
    if (limit.source === 'register') {
      throw new DfuError({ kind: 'image-too-large', imageEnd: image.end, regionEnd: limit.end, region: region.name });
    }
    throw new DfuError({
      kind: 'not-writable',
      address: Math.max(image.start, limit.end),
      region: region.name,
      detail: `at or above ${describeFlashSizeLimit(limit, bounds.start)}`,
    });
  }
  if (info.flashSizeBytes !== undefined || hasUserSize) return;
  if (!info.quirks.includes('descriptor-overstates-flash')) return;
  const known = knownFlashOverstatement(info.family, region);
  if (!known) return;
  const realEnd = bounds.start + known.realBytes;
  // Only an image that reaches above the smaller size is at risk; DeviceInfo.notes has the rest.
  if (image.end <= realEnd) return;
  warnings.push({
    kind: 'flash-overstated',
    range: { start: realEnd, end: image.end },
    message:
      `the image reaches ${formatAddress(image.end)}, past ${formatAddress(realEnd)}: if this is an ${known.parts} (${formatSize(known.realBytes)} of flash), ` +
      `${known.risk} (its bootloader describes the same flash as ${known.sameStringAs}); set the flash size to refuse it`,
  });
}

function touchedSectors(image: MemoryImage, region: MemoryRegion): Sector[] {
  const byIndex = new Map<number, Sector>();
  for (const range of image.ranges) for (const sector of sectorsIn(region, range)) byIndex.set(sector.index, sector);
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

function sameAsDevice(part: MemoryImage, device: MemoryImage): boolean {
  for (const block of part.blocks) {
    const actual = device.read({ start: block.start, end: block.start + block.data.length }, 0);
    for (let i = 0; i < actual.length; i++) if (actual[i] !== block.data[i]) return false;
  }
  return true;
}

/** The parts of `range` the image does not cover. */
function complementIn(range: AddressRange, image: MemoryImage): AddressRange[] {
  const out: AddressRange[] = [];
  let cursor = range.start;
  for (const r of image.slice(range).ranges) {
    if (r.start > cursor) out.push({ start: cursor, end: r.start });
    cursor = r.end;
  }
  if (cursor < range.end) out.push({ start: cursor, end: range.end });
  return out;
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
    if (!segment.erasable) {
      blocks.push(...part.blocks);
      continue;
    }
    blocks.push(...part.aligned(unit, erasedValue).slice(segment).blocks);
  }
  return MemoryImage.fromBlocks(blocks);
}

function rewriteConsequence(behaviour: string): string {
  switch (behaviour) {
    case 'keep-old':
      return 'On this family un-erased flash keeps its old data (L0/L1 NOTZEROERR): the new image will not land.';
    case 'and':
      return 'On this family un-erased flash ends up as the AND of old and new data.';
    default:
      return 'On this family programming un-erased flash fails (ECC).';
  }
}

function estimate(input: {
  info: DeviceInfo;
  eraseMode: EraseMode;
  eraseSectors: readonly Sector[];
  region: MemoryRegion;
  chunks: readonly PlanChunk[];
  verifyRanges: readonly AddressRange[];
  readRanges: readonly AddressRange[];
  transferSize: number;
}): number {
  const { info, transferSize } = input;
  const commandMs = ERASE_COMMAND_MS;
  const readMs = (ranges: readonly AddressRange[]): number => {
    const bytes = totalLength(ranges);
    return Math.ceil(bytes / transferSize) * typicalTransferMs(transferSize) + ranges.length * commandMs;
  };
  let ms = readMs(input.readRanges);
  if (input.eraseMode === 'mass') {
    const erasable = input.region.segments.filter((s) => s.erasable).reduce((n, s) => n + rangeLength(s), 0);
    ms += commandMs + typicalMassEraseMs(info.family, erasable);
  } else {
    for (const sector of input.eraseSectors) ms += commandMs + typicalEraseMs(info.family, sector.end - sector.start);
  }
  let previousEnd = -1;
  for (const chunk of input.chunks) {
    if (chunk.address !== previousEnd) ms += commandMs;
    ms += typicalTransferMs(chunk.data.length) + 2 * typicalTransferMs(6) + typicalProgramMs(info.family, chunk.data.length);
    previousEnd = chunk.address + chunk.data.length;
  }
  ms += readMs(input.verifyRanges);
  return Math.round(ms);
}

export function mergeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: AddressRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) out[out.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

function totalLength(ranges: readonly AddressRange[]): number {
  return ranges.reduce((n, r) => n + rangeLength(r), 0);
}

function formatRanges(ranges: readonly AddressRange[], limit = 4): string {
  const shown = ranges.slice(0, limit).map((r) => `[${formatAddress(r.start)}, ${formatAddress(r.end)})`);
  if (ranges.length > limit) shown.push(`... ${ranges.length - limit} more`);
  return shown.join(' ');
}

function formatSectorRuns(sectors: readonly Sector[]): string {
  const runs: { first: Sector; last: Sector }[] = [];
  for (const sector of sectors) {
    const run = runs[runs.length - 1];
    if (run && sector.index === run.last.index + 1 && sector.start === run.last.end) run.last = sector;
    else runs.push({ first: sector, last: sector });
  }
  const shown = runs
    .slice(0, 4)
    .map(({ first, last }) =>
      `${first.index === last.index ? `#${first.index}` : `#${first.index}-#${last.index}`} [${formatAddress(first.start)}, ${formatAddress(last.end)})`,
    );
  if (runs.length > 4) shown.push(`... ${runs.length - 4} more runs`);
  return shown.join(' ');
}

function formatIndexRuns(indexes: readonly number[]): string {
  const runs: [number, number][] = [];
  for (const i of indexes) {
    const run = runs[runs.length - 1];
    if (run && i === run[1] + 1) run[1] = i;
    else runs.push([i, i]);
  }
  return runs.map(([a, b]) => (a === b ? `#${a}` : `#${a}-#${b}`)).join(' ');
}

