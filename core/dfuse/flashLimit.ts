// The real end of Internal Flash when the bootloader describes more than the part has. Reference
// §7.3, design consequence 5: "limit the size to the real flash size (F_SIZE, or ask the user)",
// because the L072xB bootloader always claims 192 KiB for 128 KiB and erasing above 0x08020000
// hangs it (§7.1); WeAct H750 boards send the 2 MiB H743 string for 128 KiB (§8). Two sources:
// the flash-size register (DeviceInfo.flashSizeBytes) and the user (ProgramOptions.flashSizeBytes,
// `--flash-size`, the app's "Flash size" field). The smaller one wins.
import { formatAddress, formatSize } from '../format.js';
import { realFlashEnd } from '../devices/stm32.js';
import { DfuError } from '../errors.js';
import type { AddressRange } from '../image/memoryImage.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import { regionRange, sectorAt, sectorsIn, type MemoryRegion, type Sector } from './memoryLayout.js';
import type { RegionRole } from './regionRole.js';

export interface FlashSizeLimit {
  readonly region: string;
  /** Exclusive end of the flash that may be erased, written or read. */
  readonly end: number;
  /** Exclusive end of the region as the bootloader describes it (above `end`). */
  readonly claimedEnd: number;
  /** `end` minus the region start. */
  readonly sizeBytes: number;
  /** Where the limit comes from: the user's setting or the flash-size register. */
  readonly source: 'user' | 'register';
}

/**
 * The limit that applies to `region`, or undefined when nothing below the descriptor is known (or
 * the region is not flash: data EEPROM, OTP and option bytes are not overstated). A user limit at
 * or above the descriptor's size changes nothing.
 */
export function flashSizeLimit(info: DeviceInfo, region: MemoryRegion, role: RegionRole, userFlashSizeBytes?: number): FlashSizeLimit | undefined {
  if (role !== 'flash') return undefined;
  const { start, end: claimedEnd } = regionRange(region);
  const candidates: { end: number; source: FlashSizeLimit['source'] }[] = [];
  if (info.flashSizeBytes !== undefined) {
    const measured = realFlashEnd({ family: info.family, region, flashSizeRegisterValue: info.flashSizeBytes / 1024 });
    if (measured.isLimited) candidates.push({ end: measured.end, source: 'register' });
  }
  if (userFlashSizeBytes !== undefined && start + userFlashSizeBytes < claimedEnd) {
    candidates.push({ end: start + userFlashSizeBytes, source: 'user' });
  }
  // The smaller end wins; on a tie the user's own setting is named (it is what they can change).
  const limit = candidates.sort((a, b) => a.end - b.end || (a.source === 'user' ? -1 : b.source === 'user' ? 1 : 0))[0];
  if (!limit) return undefined;
  return { region: region.name, end: limit.end, claimedEnd, sizeBytes: limit.end - start, source: limit.source };
}

/** "the 128 KiB flash-size limit (flash ends at 0x08020000; the bootloader describes 192 KiB)" */
export function describeFlashSizeLimit(limit: FlashSizeLimit, regionStart: number): string {
  const what = limit.source === 'user' ? 'flash-size limit' : 'flash size from the flash-size register';
  return `the ${formatSize(limit.sizeBytes)} ${what} (flash ends at ${formatAddress(limit.end)}; the bootloader describes ${formatSize(limit.claimedEnd - regionStart)})`;
}

/**
 * The limit must end on a sector boundary: a real part's flash ends with a whole sector, and a
 * sector that straddles the limit could only be erased by erasing above it.
 */
export function checkLimitOnSectorBoundary(region: MemoryRegion, limit: FlashSizeLimit): void {
  const straddling = sectorAt(region, limit.end - 1);
  if (straddling && straddling.end !== limit.end) {
    throw new DfuError({
      kind: 'invalid-argument',
      argument: 'flashSizeBytes',
      reason:
        `a flash size of ${formatSize(limit.sizeBytes)} ends at ${formatAddress(limit.end)}, inside sector ${straddling.index} ` +
        `[${formatAddress(straddling.start)}, ${formatAddress(straddling.end)}) of ${region.name}: give a size that ends on a sector boundary`,
    });
  }
}

/**
 * What a mass erase becomes under a limit: every erasable sector below it, erased one by one. The
 * DfuSe mass erase has no address, and the L0 bootloader erases page by page up to what it
 * describes, so it would reach the missing flash.
 */
export function sectorsBelowLimit(region: MemoryRegion, limit: FlashSizeLimit): Sector[] {
  checkLimitOnSectorBoundary(region, limit);
  const { start } = regionRange(region);
  return sectorsIn(region, { start, end: limit.end }).filter((sector) => sector.segment.erasable && sector.end <= limit.end);
}

/** Refuses a read or erase range that reaches at or above the limit, naming the first address and the limit. */
export function checkRangeBelowLimit(region: MemoryRegion, range: AddressRange, limit: FlashSizeLimit | undefined, argument: string, action: string): void {
  if (!limit || range.end <= limit.end) return;
  const first = Math.max(range.start, limit.end);
  throw new DfuError({
    kind: 'invalid-argument',
    argument,
    reason: `${action} would reach ${formatAddress(first)}, above ${describeFlashSizeLimit(limit, regionRange(region).start)}`,
  });
}
