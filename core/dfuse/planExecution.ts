// Running ready plans: the executor's own guard (independent of the planner), then one erase, one
// write and one verify phase across all regions, then leave only after a matching verification.
import { familyFacts } from '../devices/stm32.js';
import { blankCheckRefusal } from './eraseDecision.js';
import { flashSizeLimit } from './flashLimit.js';
import { DfuError, type ConfirmationKind } from '../errors.js';
import { formatAddress, formatSize, pluralise } from '../format.js';
import { BlankSectorCheck, type BlankCheckTally } from './blankCheck.js';
import { diffImages, type VerifyReport } from '../image/diff.js';
import { MemoryImage, mergeRanges, totalLength, type Block } from '../image/memoryImage.js';
import { regionRange, sectorAt, sectorsIn, segmentAt } from './memoryLayout.js';
import type { ProgramPlan } from './plan.js';
import { leaveNow } from './resetOperations.js';
import { checkCancelled, checkMainFlash, regionOf, type SessionContext } from './sessionContext.js';
import type { PhaseRun, PhaseTiming } from './sessionEvents.js';
import { eraseSector, massErase, readRange, writeChunks } from './transfers.js';

export interface CallOptions {
  readonly signal?: AbortSignal;
  /**
   * The confirmations the user gave for this call (core/jobs/confirmations.ts). The session checks
   * the irreversible ones itself, whoever calls it: an OTP plan needs 'write-otp', option bytes
   * that set RDP level 2 need 'permanent-lock'.
   */
  readonly confirmed?: readonly ConfirmationKind[];
}

export interface ExecutionResult {
  readonly plans: readonly ProgramPlan[];
  /** Merged over all plans; absent when verification was off. Not throwing on mismatch: check isMatch. */
  readonly verify?: VerifyReport;
  readonly verifyByPlan: readonly VerifyReport[];
  readonly bytesWritten: number;
  readonly sectorsErased: number;
  /** Sectors of the plans that were not erased because they read blank (ProgramPlan.blankCheck). */
  readonly sectorsBlank: number;
  /** Those sectors' indexes, per plan alternate. */
  readonly blankSectors: Readonly<Record<number, readonly number[]>>;
  readonly chunksWritten: number;
}

/** Runs `body` as one phase of the session (events, then the device back in dfuIDLE). */
export function phaseOf(context: SessionContext, phase: PhaseTiming['phase'], total: number, signal: AbortSignal | undefined, body: (run: PhaseRun) => Promise<void>): Promise<PhaseTiming> {
  return context.phases.run(phase, total, context.link, () => checkCancelled(context, signal, phase), body);
}

export async function runPlans(
  context: SessionContext,
  plans: readonly ProgramPlan[],
  call: CallOptions,
  deviceContent: MemoryImage | undefined,
  timings: PhaseTiming[],
): Promise<ExecutionResult> {
  const { phases } = context;
  for (const plan of plans) enforce(context, plan, call.confirmed ?? []);
  for (const plan of plans) {
    for (const warning of plan.warnings) phases.log('warn', `${plan.region}: ${warning.message}`, { kind: warning.kind });
  }
  let sectorsErased = 0;
  const blank: BlankCheckTally = { bytesRead: 0 };
  const blankSectors: Record<number, number[]> = {};
  const countBlank = (): number => Object.values(blankSectors).reduce((n, indexes) => n + indexes.length, 0);
  const eraseBytes = plans.reduce((n, p) => n + totalLength(p.sectors), 0);
  if (plans.some((p) => p.eraseMode === 'mass' || p.sectors.length > 0)) {
    timings.push(
      await phaseOf(context, 'erase', eraseBytes, call.signal, async (run) => {
        for (const plan of plans) {
          const region = regionOf(context.info, plan.alternate);
          if (plan.eraseMode === 'mass') {
            checkCancelled(context, call.signal, 'erase');
            await massErase(context, plan.alternate, totalLength(plan.sectors));
            sectorsErased += plan.sectors.length;
            phases.progress(run, totalLength(plan.sectors));
            continue;
          }
          const check = plan.blankCheck ? new BlankSectorCheck(context, plan, blank) : undefined;
          for (const sector of plan.sectors) {
            checkCancelled(context, call.signal, 'erase');
            if (check && (await check.isBlank(sector, call.signal))) {
              (blankSectors[plan.alternate] ??= []).push(sector.index);
              phases.log('debug', `sector ${sector.index} at ${formatAddress(sector.start)} reads blank: not erased`);
            } else {
              await eraseSector(context, plan.alternate, region, sector);
              sectorsErased++;
            }
            phases.progress(run, sector.end - sector.start);
          }
        }
        if (blank.bytesRead > 0) {
          // Debug: the result says it too (sectorsBlank), and an info line per flash would double a
          // production line's log (about 90 B per board at info).
          phases.log(
            'debug',
            countBlank() > 0
              ? `${pluralise(countBlank(), 'sector')} already blank, not erased (${formatSize(blank.bytesRead)} read to check); ${pluralise(sectorsErased, 'sector')} erased`
              : `no sector was blank (${formatSize(blank.bytesRead)} read to check); ${pluralise(sectorsErased, 'sector')} erased`,
          );
        }
      }),
    );
  }
  let chunksWritten = 0;
  const writeBytes = plans.reduce((n, p) => n + p.bytesToWrite, 0);
  if (writeBytes > 0) {
    timings.push(
      await phaseOf(context, 'write', writeBytes, call.signal, async (run) => {
        for (const plan of plans) chunksWritten += await writeChunks(context, plan, run, call.signal);
      }),
    );
  }
  const verifyByPlan: VerifyReport[] = [];
  const verifyBytes = plans.reduce((n, p) => n + totalLength(p.verifyRanges), 0);
  if (verifyBytes > 0) {
    timings.push(
      await phaseOf(context, 'verify', verifyBytes, call.signal, async (run) => {
        for (const plan of plans) if (plan.verifyRanges.length) verifyByPlan.push(await verifyPlan(context, plan, run, deviceContent, call.signal));
      }),
    );
  }
  const verify = verifyByPlan.length ? mergeReports(verifyByPlan) : undefined;
  if (verify && !verify.isMatch) {
    phases.log('error', `verification failed: ${verify.mismatchCount} bytes differ, first at ${formatAddress(verify.firstMismatch ?? 0)}: ${verify.diagnosis.message}`, {
      diagnosis: verify.diagnosis.kind,
    });
  }
  return { plans, ...(verify ? { verify } : {}), verifyByPlan, bytesWritten: writeBytes, sectorsErased, sectorsBlank: countBlank(), blankSectors, chunksWritten };
}

/**
 * Leave runs only after every phase succeeded (a failure has thrown before this point) and, when
 * verifying, the verification matched: starting firmware known to be wrong helps nobody.
 */
export async function leaveIfVerified(context: SessionContext, isWanted: boolean, verify: VerifyReport | undefined, timings: PhaseTiming[], call: CallOptions): Promise<boolean> {
  if (!isWanted) return false;
  if (verify && !verify.isMatch) {
    context.phases.log('warn', 'leave skipped: the verification failed, so the device stays in DFU mode');
    return false;
  }
  timings.push(await phaseOf(context, 'leave', 0, call.signal, () => leaveNow(context, undefined)));
  return true;
}

/**
 * The executor's own guard, independent of the planner: no plan for option-byte or bootloader
 * regions, no OTP plan without its confirmation, a mass erase only for the main flash, every chunk
 * in writable segments, and a chunk in an erasable segment only in a sector this plan erases unless
 * the user chose erase 'none' (reference §7.3: never write un-erased flash by accident).
 */
function enforce(context: SessionContext, plan: ProgramPlan, confirmed: readonly ConfirmationKind[]): void {
  const region = regionOf(context.info, plan.alternate);
  const alt = context.info.alternates.find((a) => a.alternate === plan.alternate)!;
  if (alt.role === 'option-bytes' || alt.role === 'device-feature' || alt.role === 'system') {
    throw new DfuError({ kind: 'not-writable', address: regionRange(region).start, region: region.name, detail: 'refused by the executor: not firmware memory' });
  }
  if (alt.role === 'otp' && plan.chunks.length > 0 && !confirmed.includes('write-otp')) {
    throw new DfuError({ kind: 'confirmation-required', action: 'write-otp', reason: `${region.name} is one-time programmable: every byte written stays for good` });
  }
  if (plan.eraseMode === 'mass') checkMainFlash(context.info, plan.alternate);
  // Nothing at or above the flash-size limit the session knows (the flash-size register): on an
  // L072xB or H750 the ROM hangs there. The planner refuses such images; a plan made without the
  // size (before the connect read it) must not get through either.
  const limit = flashSizeLimit(context.info, region, alt.role);
  if (limit) {
    const above = plan.sectors.find((s) => s.end > limit.end)?.start ?? plan.chunks.find((c) => c.address + c.data.length > limit.end)?.address;
    if (above !== undefined) {
      throw new DfuError({
        kind: 'not-writable',
        address: Math.max(above, limit.end),
        region: region.name,
        detail: `refused by the executor: at or above the flash-size limit (flash ends at ${formatAddress(limit.end)})`,
      });
    }
  }
  // Leaving a sector un-erased because it reads blank: the planner's rule, asked again here.
  if (plan.blankCheck) {
    const refusal = blankCheckRefusal(context.info, plan.eraseMode, plan.sectors, plan.erasedValue);
    if (refusal) {
      throw new DfuError({ kind: 'not-writable', address: regionRange(region).start, region: region.name, detail: `refused by the executor: no blank check here (${refusal})` });
    }
  }
  const erased = new Set(plan.sectors.map((s) => s.index));
  for (const chunk of plan.chunks) {
    const end = chunk.address + chunk.data.length;
    for (let address = chunk.address; address < end; ) {
      const segment = segmentAt(region, address);
      if (!segment || !segment.writable) {
        throw new DfuError({ kind: 'not-writable', address, region: region.name, detail: 'refused by the executor' });
      }
      if (segment.erasable && plan.eraseMode !== 'none') {
        for (const sector of sectorsIn(region, { start: address, end: Math.min(end, segment.end) })) {
          if (!erased.has(sector.index)) {
            throw new DfuError({ kind: 'not-writable', address: Math.max(address, sector.start), region: region.name, detail: `sector ${sector.index} is not erased by this plan` });
          }
        }
      }
      address = segment.end;
    }
  }
}

export async function verifyPlan(context: SessionContext, plan: ProgramPlan, run: PhaseRun, previous: MemoryImage | undefined, signal: AbortSignal | undefined): Promise<VerifyReport> {
  const region = regionOf(context.info, plan.alternate);
  const blocks: Block[] = [];
  for (const range of plan.verifyRanges) {
    for (const block of (await readRange(context, plan.alternate, range, run, signal)).blocks) blocks.push(block);
  }
  const actual = MemoryImage.fromBlocks(blocks);
  const expected = MemoryImage.fromBlocks(plan.verifyRanges.flatMap((r) => plan.expected.slice(r).blocks));
  return diffImages(expected, actual, {
    erasedValue: plan.erasedValue,
    previous,
    sectorOf: (address) => sectorAt(region, address)?.index,
    rewriteBehaviour: familyFacts(context.info.family).rewriteBehaviour,
  });
}

export function mergeReports(reports: readonly VerifyReport[]): VerifyReport {
  if (reports.length === 1) return reports[0]!;
  const firsts = reports.map((r) => r.firstMismatch).filter((a): a is number => a !== undefined);
  const failing = reports.find((r) => !r.isMatch);
  return {
    isMatch: reports.every((r) => r.isMatch),
    bytesCompared: reports.reduce((n, r) => n + r.bytesCompared, 0),
    mismatchCount: reports.reduce((n, r) => n + r.mismatchCount, 0),
    mismatchRanges: mergeRanges(reports.flatMap((r) => r.mismatchRanges)),
    firstMismatch: firsts.length ? firsts.reduce((low, address) => Math.min(low, address)) : undefined,
    sectorsWithMismatch: failing?.sectorsWithMismatch ?? [],
    missingBytes: reports.reduce((n, r) => n + r.missingBytes, 0),
    samples: reports.flatMap((r) => r.samples).slice(0, 8),
    diagnosis: failing?.diagnosis ?? { kind: 'match', message: `all ${reports.reduce((n, r) => n + r.bytesCompared, 0)} bytes match` },
  };
}
