// What a plan tells the user, as PlanWarning data: one builder per kind, so the wording lives in one
// place and the planner only decides when a warning applies.
import type { FamilyFacts, FlashOverstatement } from '../devices/stm32.js';
import { formatAddress, formatDuration, formatSize } from '../format.js';
import { describeFlashSizeLimit, type FlashSizeLimit } from './flashLimit.js';
import type { Sector } from './memoryLayout.js';
import type { EraseMode, PlanWarning } from './plan.js';

export function flashOverstatedWarning(known: FlashOverstatement, realEnd: number, imageEnd: number): PlanWarning {
  return {
    kind: 'flash-overstated',
    range: { start: realEnd, end: imageEnd },
    message:
      `the image reaches ${formatAddress(imageEnd)}, past ${formatAddress(realEnd)}: if this is an ${known.parts} (${formatSize(known.realBytes)} of flash), ` +
      `${known.risk} (its bootloader describes the same flash as ${known.sameStringAs}); set the flash size to refuse it`,
  };
}

export function differentialIgnoredWarning(): PlanWarning {
  return { kind: 'option-ignored', message: 'differential mode ignored: a mass erase clears every sector anyway' };
}

export function preserveIgnoredWarning(erase: EraseMode): PlanWarning {
  return {
    kind: 'option-ignored',
    message: erase === 'mass' ? 'preserve ignored: a mass erase clears the whole region' : 'preserve not needed: nothing is erased',
  };
}

export function needsReadWarning(unknownSectors: number): PlanWarning {
  return { kind: 'needs-read', message: `differential: ${unknownSectors} sectors must be read from the device first; until then this is a full write` };
}

export function fasterMassEraseWarning(sectorCount: number, massMs: number, sectorsMs: number): PlanWarning {
  return {
    kind: 'mass-erase',
    message: `the image touches all ${sectorCount} sectors: one mass erase (about ${formatDuration(massMs)}) instead of ${sectorCount} sector erases (about ${formatDuration(sectorsMs)})`,
  };
}

export function massBelowLimitWarning(sectorCount: number, limit: FlashSizeLimit, regionStart: number): PlanWarning {
  return {
    kind: 'mass-erase',
    message: `mass erase sent as ${sectorCount} sector erases up to ${formatAddress(limit.end)}: ${describeFlashSizeLimit(limit, regionStart)} is below what a mass erase would cover`,
  };
}

export function massEraseClearsWarning(clearedBytes: number, region: string, imageBytes: number): PlanWarning {
  return { kind: 'mass-erase', message: `mass erase clears all ${formatSize(clearedBytes)} of ${region}, not only the ${formatSize(imageBytes)} of the image` };
}

/**
 * Data outside the image in a sector the plan erases: `lostBytes` when the device content is known
 * (only bytes that are not already erased count), undefined when it is not.
 */
export function destroysDataWarning(sector: Sector, outsideBytes: number, lostBytes: number | undefined, isDifferential = false): PlanWarning {
  // Differential: the sector is erased only if its image bytes differ from the device's.
  const where = `sector ${sector.index} [${formatAddress(sector.start)}, ${formatAddress(sector.end)})${isDifferential ? ' (if it differs from the image)' : ''}`;
  return {
    kind: 'destroys-data',
    sector: sector.index,
    range: { start: sector.start, end: sector.end },
    message:
      lostBytes === undefined
        ? `${where} is only partly covered by the image: erasing it destroys ${formatSize(outsideBytes)} that may hold data (use preserve to keep them)`
        : `${where} holds ${formatSize(lostBytes)} of data outside the image that the erase destroys (use preserve to keep them)`,
  };
}

export function preservingWarning(bytes: number): PlanWarning {
  return { kind: 'preserving', message: `preserving ${formatSize(bytes)} outside the image in partly covered sectors (read first, written back)` };
}

export function eraseSkippedWarning(sectorCount: number, rewrite: FamilyFacts['rewriteBehaviour']): PlanWarning {
  return {
    kind: 'erase-skipped',
    message: `ERASE SKIPPED: ${sectorCount} erasable sectors will be written without an erase. ${rewriteConsequence(rewrite)} Verification will show it.`,
  };
}

function rewriteConsequence(behaviour: FamilyFacts['rewriteBehaviour']): string {
  switch (behaviour) {
    case 'keep-old':
      return 'On this family un-erased flash keeps its old data (L0/L1 NOTZEROERR): the new image will not land.';
    case 'and':
      return 'On this family un-erased flash ends up as the AND of old and new data.';
    default:
      return 'On this family programming un-erased flash fails (ECC).';
  }
}
