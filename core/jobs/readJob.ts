// Read back a region (CLI `read`, the app's Read back tab): the range defaults to the whole region,
// or to the real flash size when one is known, and never crosses it (the L072xB bootloader hangs on
// reads above its real flash, reference §7.1).
import { formatAddress } from '../format.js';
import { checkRangeBelowLimit, flashSizeLimit } from '../dfuse/flashLimit.js';
import { regionRange } from '../dfuse/memoryLayout.js';
import { mainFlashOf } from '../dfuse/regionRole.js';
import { DfuError } from '../errors.js';
import type { AddressRange } from '../image/memoryImage.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import { chosenAlternate } from './placeImage.js';

export interface ReadRequest {
  /** Default: the main flash. */
  readonly alternate?: number;
  /** Default: the start of the region. */
  readonly start?: number;
  /** Default: to the end of the region, or to the flash-size limit. */
  readonly length?: number;
}

export interface ReadPreparation {
  readonly alternate: number;
  readonly region: string;
  readonly range: AddressRange;
}

export function prepareRead(info: DeviceInfo, request: ReadRequest, flashSizeBytes?: number): ReadPreparation {
  const alternate = request.alternate ?? mainFlashOf(info)?.alternate ?? 0;
  const alt = chosenAlternate(info, alternate);
  const region = alt.layout.region;
  const bounds = regionRange(region);
  const limit = flashSizeLimit(info, region, alt.role, flashSizeBytes);
  const from = request.start ?? bounds.start;
  const to = request.length !== undefined ? from + request.length : limit && from < limit.end ? limit.end : bounds.end;
  if (from < bounds.start || to > bounds.end || to <= from) {
    throw new DfuError({
      kind: 'invalid-argument',
      argument: 'range',
      reason: `[${formatAddress(from)}, ${formatAddress(to)}) is not inside ${region.name} [${formatAddress(bounds.start)}, ${formatAddress(bounds.end)})`,
    });
  }
  checkRangeBelowLimit(region, { start: from, end: to }, limit, 'range', 'reading');
  return { alternate, region: region.name, range: { start: from, end: to } };
}
