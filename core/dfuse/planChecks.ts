// The planner's refusals, checked before anything is planned: the alt setting exists and has a
// layout, its role takes firmware, every byte lies in a writable segment, and nothing reaches
// above the real flash size. Each refusal names the address and says why.
import { knownFlashOverstatement } from '../devices/stm32.js';
import { DfuError } from '../errors.js';
import { formatAddress } from '../format.js';
import type { MemoryImage } from '../image/memoryImage.js';
import type { AlternateInfo, DeviceInfo } from '../usb/descriptors.js';
import { describeFlashSizeLimit, type FlashSizeLimit } from './flashLimit.js';
import { regionRange, segmentAt, type MemoryRegion } from './memoryLayout.js';
import type { PlanWarning } from './plan.js';
import { flashOverstatedWarning } from './planWarnings.js';
import type { RegionRole } from './regionRole.js';

export type LaidOutAlternate = AlternateInfo & { layout: NonNullable<AlternateInfo['layout']> };

export function layoutOf(info: DeviceInfo, alternate: number): LaidOutAlternate {
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
  return alt as LaidOutAlternate;
}

/**
 * The image path never writes option bytes (they change through the option-byte editor, or as a
 * whole raw block with its own confirmation: core/jobs), nor the bootloader's own windows.
 */
export function checkRole(image: MemoryImage, alt: LaidOutAlternate): void {
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

export function checkWritable(image: MemoryImage, region: MemoryRegion): void {
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
export function checkRealFlash(input: {
  readonly image: MemoryImage;
  readonly info: DeviceInfo;
  readonly region: MemoryRegion;
  readonly role: RegionRole;
  readonly limit: FlashSizeLimit | undefined;
  readonly hasUserSize: boolean;
}): PlanWarning[] {
  const { image, info, region, role, limit, hasUserSize } = input;
  if (role !== 'flash') return [];
  const bounds = regionRange(region);
  if (limit) {
    if (image.end <= limit.end) return [];
    // The same refusal whether the size came from the user or the register; the detail says which.
    throw new DfuError({
      kind: 'not-writable',
      address: Math.max(image.start, limit.end),
      region: region.name,
      detail: `at or above ${describeFlashSizeLimit(limit, bounds.start)}`,
    });
  }
  if (info.flashSizeBytes !== undefined || hasUserSize) return [];
  if (!info.quirks.includes('descriptor-overstates-flash')) return [];
  const known = knownFlashOverstatement(info.family, region);
  if (!known) return [];
  const realEnd = bounds.start + known.realBytes;
  // Only an image that reaches above the smaller size is at risk; DeviceInfo.notes has the rest.
  return image.end <= realEnd ? [] : [flashOverstatedWarning(known, realEnd, image.end)];
}
