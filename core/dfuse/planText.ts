// The compact text of a plan: the inline snapshots of the planner tests, the CLI's --plan and the
// app's plan text. Ranges are half-open, [start, end).
import { formatAddress, formatDuration, formatHexByte, formatSize } from '../format.js';
import { mergeRanges, totalLength, type AddressRange } from '../image/memoryImage.js';
import type { Sector } from './memoryLayout.js';
import type { PartialSector, ProgramPlan } from './plan.js';

/** Compact text for snapshots, the CLI's --plan and logs. Ranges are [start, end). */
export function formatPlan(plan: ProgramPlan): string {
  const lines: string[] = [];
  const modes = [`erase ${plan.eraseMode}`];
  if (plan.isDifferential) modes.push('differential');
  if (plan.preserveRanges.length) modes.push('preserve');
  lines.push(`plan ${plan.region} (alt ${plan.alternate}): ${modes.join(', ')}; transfer ${plan.transferSize} B, erased 0x${formatHexByte(plan.erasedValue)}`);
  if (plan.readRanges.length) lines.push(`read first ${formatSize(totalLength(plan.readRanges))}: ${formatRanges(plan.readRanges)}`);
  if (plan.eraseMode === 'mass') lines.push(`erase: mass erase (${plan.sectors.length} sectors, ${formatSize(totalLength(plan.sectors))})`);
  else if (plan.sectors.length) {
    lines.push(
      `erase ${plan.sectors.length} sectors (${formatSize(totalLength(plan.sectors))})${plan.blankCheck ? ' unless they read blank' : ''}: ${formatSectorRuns(plan.sectors)}`,
    );
  } else lines.push('erase: none');
  if (plan.unchangedSectors.length) lines.push(`unchanged ${plan.unchangedSectors.length} sectors: ${formatIndexRuns(plan.unchangedSectors)}`);
  const writeRanges = mergeRanges(plan.chunks.map((c) => ({ start: c.address, end: c.address + c.data.length })));
  lines.push(
    `write ${plan.bytesToWrite} B in ${plan.chunks.length} chunks${plan.skippedChunks ? ` (${plan.skippedChunks} erased chunks skipped)` : ''}` +
      (writeRanges.length ? `: ${formatRanges(writeRanges)}` : ''),
  );
  if (plan.preserveRanges.length) lines.push(`preserve ${formatSize(totalLength(plan.preserveRanges))}: ${formatRanges(plan.preserveRanges)}`);
  for (const line of partialSectorLines(plan)) lines.push(line);
  lines.push(plan.verifyRanges.length ? `verify ${formatSize(totalLength(plan.verifyRanges))}: ${formatRanges(plan.verifyRanges)}` : 'verify: none');
  for (const warning of plan.warnings) lines.push(`! ${warning.kind}: ${warning.message}`);
  lines.push(`estimated ${formatDuration(plan.estimatedMs)}`);
  return lines.join('\n');
}

/**
 * What the erase does to the bytes outside the image in each partly covered sector, once the
 * device was read: "sector 5 tail is blank: nothing lost". Unknown and lost bytes are warnings.
 */
export function partialSectorLines(plan: { readonly partialSectors: readonly Pick<PartialSector, 'index' | 'where' | 'state'>[] }): string[] {
  const blank = plan.partialSectors.filter((p) => p.state === 'blank');
  if (blank.length === 0) return [];
  if (blank.length > 4) return [`${blank.length} partly covered sectors are blank outside the image: nothing lost`];
  return blank.map((p) => `sector ${p.index} ${p.where === 'gaps' ? 'outside the image' : p.where} ${p.where === 'head and tail' ? 'are' : 'is'} blank: nothing lost`);
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

