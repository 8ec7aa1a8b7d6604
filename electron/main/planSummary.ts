// What the window sees of a plan: everything but the chunk data, which stays in main.

import type { PlanSummary } from '../../core/api.js';
import { formatPlan, mergeRanges } from '../../core/dfuse/plan.js';
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
    verifyRanges: plan.verifyRanges.map(({ start, end }) => ({ start, end })),
    preserveRanges: plan.preserveRanges.map(({ start, end }) => ({ start, end })),
    warnings: plan.warnings.map((warning) => ({ ...warning })),
    estimatedMs: plan.estimatedMs,
    text: formatPlan(plan),
  };
}
