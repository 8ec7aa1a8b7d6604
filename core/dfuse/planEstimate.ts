// How long a plan should take, from the family timing table (timing.ts, datasheet-order figures)
// plus about 1 ms per control transfer. An estimate for the user, never a timeout.
import type { Stm32Family } from '../devices/stm32.js';
import { totalLength, type AddressRange } from '../image/memoryImage.js';
import type { Sector } from './memoryLayout.js';
import type { EraseMode, PlanChunk } from './plan.js';
import { typicalEraseMs, typicalMassEraseMs, typicalProgramMs, typicalTransferMs } from './timing.js';

/** One DfuSe command: DNLOAD plus two GETSTATUS, about 1 ms each at full speed. */
export const ERASE_COMMAND_MS = 3 * typicalTransferMs(5);

export function sectorEraseMs(family: Stm32Family, sectors: readonly Sector[]): number {
  return sectors.reduce((ms, s) => ms + ERASE_COMMAND_MS + typicalEraseMs(family, s.end - s.start), 0);
}

export function massEraseMs(family: Stm32Family, erasableBytes: number): number {
  return ERASE_COMMAND_MS + typicalMassEraseMs(family, erasableBytes);
}

export function estimatePlanMs(input: {
  readonly family: Stm32Family;
  readonly eraseMode: EraseMode;
  readonly eraseSectors: readonly Sector[];
  readonly chunks: readonly PlanChunk[];
  readonly verifyRanges: readonly AddressRange[];
  readonly readRanges: readonly AddressRange[];
  readonly transferSize: number;
}): number {
  const { family, transferSize } = input;
  const readMs = (ranges: readonly AddressRange[]): number =>
    Math.ceil(totalLength(ranges) / transferSize) * typicalTransferMs(transferSize) + ranges.length * ERASE_COMMAND_MS;
  let ms = readMs(input.readRanges);
  ms += input.eraseMode === 'mass' ? massEraseMs(family, totalLength(input.eraseSectors)) : sectorEraseMs(family, input.eraseSectors);
  let previousEnd = -1;
  for (const chunk of input.chunks) {
    if (chunk.address !== previousEnd) ms += ERASE_COMMAND_MS;
    ms += typicalTransferMs(chunk.data.length) + 2 * typicalTransferMs(6) + typicalProgramMs(family, chunk.data.length);
    previousEnd = chunk.address + chunk.data.length;
  }
  ms += readMs(input.verifyRanges);
  return Math.round(ms);
}
