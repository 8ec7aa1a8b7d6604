// Erase without writing (CLI `erase`, the app's Erase): whole sectors, rounded out from the range the
// user gave, or a mass erase of the main flash. The real flash size limits both: nothing at or above
// it is erased, and a mass erase under a limit is sent as sector erases below it (flashLimit.ts).
import { formatAddress } from '../format.js';
import { checkRangeBelowLimit, describeFlashSizeLimit, flashSizeLimit, sectorsBelowLimit, type FlashSizeLimit } from '../dfuse/flashLimit.js';
import { checkMassErase } from '../dfuse/massErase.js';
import { regionRange, sectorsIn, type Sector } from '../dfuse/memoryLayout.js';
import { mainFlashOf } from '../dfuse/regionRole.js';
import type { DfuseSession } from '../dfuse/session.js';
import { DfuError } from '../errors.js';
import type { AddressRange } from '../image/memoryImage.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import { chosenAlternate } from './placeImage.js';

export type EraseRequest =
  | { readonly kind: 'mass'; readonly alternate?: number }
  | { readonly kind: 'range'; readonly alternate?: number; readonly range: AddressRange };

export interface ErasePreparation {
  readonly alternate: number;
  readonly region: string;
  /** 'mass': one DfuSe mass erase; 'sectors': the sectors below, one erase command each. */
  readonly method: 'mass' | 'sectors';
  /** The request as the user made it ('mass' stays 'mass' when it is sent as sector erases). */
  readonly requested: EraseRequest['kind'];
  readonly sectors: readonly Sector[];
  /** The limit that turned a mass erase into sector erases, when one did. */
  readonly limit?: FlashSizeLimit;
  readonly warnings: readonly string[];
}

/** Decides what an erase request erases; throws before any DFU request when it must not run. */
export function prepareErase(info: DeviceInfo, request: EraseRequest, flashSizeBytes?: number): ErasePreparation {
  const alternate = request.alternate ?? mainFlashOf(info)?.alternate ?? 0;
  const alt = chosenAlternate(info, alternate);
  const region = alt.layout.region;
  const limit = flashSizeLimit(info, region, alt.role, flashSizeBytes);
  if (request.kind === 'range') {
    const sectors = sectorsIn(region, request.range);
    const bounds = regionRange(region);
    if (sectors.length === 0 || request.range.start < bounds.start || request.range.end > bounds.end) {
      throw new DfuError({ kind: 'not-erasable', address: request.range.start, region: region.name });
    }
    const unerasable = sectors.find((s) => !s.segment.erasable);
    if (unerasable) throw new DfuError({ kind: 'not-erasable', address: unerasable.start, region: region.name });
    // Whole sectors are erased, so the rounded-out range is what must stay below the limit.
    checkRangeBelowLimit(region, { start: sectors[0]!.start, end: sectors[sectors.length - 1]!.end }, limit, 'range', 'erasing');
    return { alternate, region: region.name, method: 'sectors', requested: 'range', sectors, warnings: [] };
  }
  const warnings = checkMassErase({ info, alternate, limit, hasUserSize: flashSizeBytes !== undefined });
  if (limit) {
    const sectors = sectorsBelowLimit(region, limit);
    return {
      alternate,
      region: region.name,
      method: 'sectors',
      requested: 'mass',
      sectors,
      limit,
      warnings: [`mass erase sent as ${sectors.length} sector erases up to ${formatAddress(limit.end)}: ${describeFlashSizeLimit(limit, regionRange(region).start)}`],
    };
  }
  const sectors = region.segments.filter((s) => s.erasable).flatMap((s) => sectorsIn(region, s));
  return { alternate, region: region.name, method: 'mass', requested: 'mass', sectors, warnings };
}

export async function runErase(session: DfuseSession, prepared: ErasePreparation, signal?: AbortSignal): Promise<void> {
  const call = signal ? { signal } : {};
  if (prepared.method === 'mass') await session.massErase(prepared.alternate, call);
  else await session.eraseSectors(prepared.alternate, prepared.sectors, call);
}
