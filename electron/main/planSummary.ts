// What the window sees of a plan: everything but the chunk data, which stays in main.

import type { FlashPreview, PlanSummary } from '../../core/contract/programmer.js';
import type { FlashPreparation } from '../../core/jobs/flashJob.js';
import { formatPlan } from '../../core/dfuse/plan.js';
import { mergeRanges, totalLength } from '../../core/image/memoryImage.js';
import type { ProgramPlan } from '../../core/dfuse/plan.js';

export function toPlanSummary(plan: ProgramPlan): PlanSummary {
  return {
    alternate: plan.alternate,
    region: plan.region,
    eraseMode: plan.eraseMode,
    isDifferential: plan.isDifferential,
    sectors: plan.sectors.map(({ index, start, end }) => ({ index, start, end })),
    writeRanges: mergeRanges(plan.chunks.map((chunk) => ({ start: chunk.address, end: chunk.address + chunk.data.length }))),
    bytesToWrite: plan.bytesToWrite,
    imageBytes: totalLength(plan.verifyRanges) - totalLength(plan.preserveRanges),
    skippedChunks: plan.skippedChunks,
    unchangedSectors: plan.unchangedSectors.length,
    blankCheck: plan.blankCheck,
    verifyRanges: plan.verifyRanges.map(({ start, end }) => ({ start, end })),
    preserveRanges: plan.preserveRanges.map(({ start, end }) => ({ start, end })),
    warnings: plan.warnings.map((warning) => ({ ...warning })),
    partialSectors: plan.partialSectors.map(({ index, start, end, where, state, lostBytes }) => ({ index, start, end, where, state, ...(lostBytes !== undefined ? { lostBytes } : {}) })),
    estimatedMs: plan.estimatedMs,
    text: formatPlan(plan),
  };
}

/** The window's view of a prepared flash (core/jobs/flashJob.ts): plans, confirmations, placement. */
export function toFlashPreview(prepared: FlashPreparation): FlashPreview {
  const optionBytes = prepared.optionBytes;
  return {
    plans: prepared.plans.map(toPlanSummary),
    confirmations: prepared.confirmations.map((c) => ({ ...c })),
    warnings: [...prepared.placed.warnings],
    ...(prepared.placed.baseAddress !== undefined ? { baseAddress: prepared.placed.baseAddress } : {}),
    ...(optionBytes ? { optionBytes: { address: optionBytes.address, sizeBytes: optionBytes.raw.length, rdpLevel: optionBytes.decoded.rdpLevel } } : {}),
  };
}
