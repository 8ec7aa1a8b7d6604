// One flash or verify on one device, as `flash`, `flash --all`, `flash --watch` and `verify` run
// it: place the image, plan, refuse what does not fit before any DFU request, connect, execute,
// verify, write the report. Never throws: the outcome carries the error, so one failing board in a
// gang does not stop the others.
import { formatAddress } from '../../core/bytes.js';
import { formatPlan, planImage, planProgram, type ProgramOptions, type ProgramPlan } from '../../core/dfuse/plan.js';
import { regionRange } from '../../core/dfuse/memoryLayout.js';
import type { VerifyReport } from '../../core/image/diff.js';
import { MemoryImage } from '../../core/image/memoryImage.js';
import { DfuError, describe, toDfuError, type DfuErrorInfo } from '../../core/errors.js';
import type { DeviceInfo } from '../../core/usb/descriptors.js';
import type { UsbDeviceSummary } from '../../core/usb/transport.js';
import type { AltSelector } from '../args.js';
import type { CommandContext, CommandOutcome } from '../context.js';
import type { DeviceAccess } from '../devices/deviceAccess.js';
import { connectSession, deviceIdentityJson, deviceLine, openDevice, resolveAlternate, type PhaseTiming } from '../devices/deviceSession.js';
import { errorJson } from '../errorJson.js';
import { combineExitCodes, ExitCode, exitCodeFor, type ExitCodeValue } from '../exitCodes.js';
import { parseFirmwareInput, type FirmwareInput } from '../imageInput.js';
import { formatBytes, formatCount, formatDuration } from '../output/units.js';
import { reportDeviceOf, reportPlanOf, reportRegionsOf } from '../../core/report/flashReport.js';
import { writeFlashReport } from '../reportFiles.js';

export interface DeviceJob {
  readonly kind: 'flash' | 'verify';
  readonly input: FirmwareInput;
  /** --address: where a raw binary starts (default: the start of the target region). */
  readonly baseAddress?: number;
  readonly alt?: AltSelector;
  readonly program: ProgramOptions;
  /** --plan: print the plan and touch nothing. */
  readonly planOnly: boolean;
  readonly reportPath?: string;
  /** Several devices at once (--all, --watch): lines name the device, reports get the path in their name. */
  readonly isMulti: boolean;
}

export interface DeviceOutcome {
  readonly exitCode: ExitCodeValue;
  readonly error?: DfuErrorInfo;
  readonly summary: UsbDeviceSummary;
  readonly info?: DeviceInfo;
  readonly plans: readonly ProgramPlan[];
  readonly verify?: VerifyReport;
  readonly timings: readonly PhaseTiming[];
  readonly elapsedMs: number;
  readonly reportFiles: readonly string[];
  readonly warnings: readonly string[];
}

/** The image for this device: raw binaries start at --address or at the target region's start. */
function placeImage(job: DeviceJob, info: DeviceInfo): { image: MemoryImage; alternate?: number; entryAddress?: number; warnings: readonly string[] } {
  const alt = job.alt ? resolveAlternate(info, job.alt) : undefined;
  if (alt && !alt.layout) {
    throw alt.error ? new DfuError(alt.error) : new DfuError({ kind: 'invalid-argument', argument: '--alt', reason: `alt setting ${alt.alternate} "${alt.name}" has no memory layout` });
  }
  let baseAddress = job.baseAddress;
  if (job.input.needsBaseAddress && baseAddress === undefined) {
    const region = (alt ?? info.alternates.find((a) => a.layout))?.layout?.region;
    if (!region) throw new DfuError({ kind: 'invalid-argument', argument: '--address', reason: `${job.input.fileName} is a raw binary and the device names no region to place it in` });
    baseAddress = regionRange(region).start;
  }
  const firmware = parseFirmwareInput(job.input, baseAddress);
  // A .dfu file may carry several targets (flash and data EEPROM): program all of them, each lands
  // in the region its addresses belong to.
  let image = firmware.image;
  if (firmware.targets && firmware.targets.length > 1 && !alt) {
    try {
      image = firmware.targets.reduce((joined, target) => joined.join(target.image), MemoryImage.empty);
    } catch {
      image = firmware.image;
    }
  }
  return {
    image,
    ...(alt ? { alternate: alt.alternate } : {}),
    ...(firmware.entryAddress !== undefined ? { entryAddress: firmware.entryAddress } : {}),
    warnings: firmware.warnings,
  };
}

function planFor(image: MemoryImage, info: DeviceInfo, alternate: number | undefined, options: ProgramOptions): ProgramPlan[] {
  return alternate !== undefined ? [planProgram({ image, info, alternate, options })] : planImage(image, info, options);
}

/** "Internal Flash (alt 0): erase 522 sectors (65.3 KiB), write 66,816 B in 33 chunks, ~1.83 s" */
export function planLine(plan: ProgramPlan): string {
  if (plan.readRanges.length > 0) {
    const bytes = plan.readRanges.reduce((n, r) => n + r.end - r.start, 0);
    const purpose = plan.isDifferential ? 'then erase and write only the sectors that differ' : 'then erase, write and put back the data outside the image';
    return `${plan.region} (alt ${plan.alternate}): read ${formatBytes(bytes)} from the device first, ${purpose}`;
  }
  const erase =
    plan.eraseMode === 'mass'
      ? 'mass erase'
      : plan.sectors.length > 0
        ? `erase ${plan.sectors.length} sector${plan.sectors.length === 1 ? '' : 's'} (${formatBytes(plan.sectors.reduce((n, s) => n + s.end - s.start, 0))})`
        : 'no erase';
  const extras = [plan.isDifferential ? 'differential' : '', plan.preserveRanges.length > 0 ? 'preserving data outside the image' : ''].filter(Boolean);
  return `${plan.region} (alt ${plan.alternate}): ${erase}, write ${formatCount(plan.bytesToWrite)} B in ${plan.chunks.length} chunk${plan.chunks.length === 1 ? '' : 's'}${
    extras.length ? `, ${extras.join(', ')}` : ''
  }, ~${formatDuration(plan.estimatedMs)}`;
}

export function planJson(plan: ProgramPlan): Record<string, unknown> {
  return {
    alternate: plan.alternate,
    region: plan.region,
    eraseMode: plan.eraseMode,
    isDifferential: plan.isDifferential,
    sectors: plan.sectors.map((s) => ({ index: s.index, start: s.start, end: s.end })),
    bytesToWrite: plan.bytesToWrite,
    chunks: plan.chunks.length,
    skippedChunks: plan.skippedChunks,
    verifyRanges: plan.verifyRanges,
    preserveRanges: plan.preserveRanges,
    readRanges: plan.readRanges,
    unchangedSectors: plan.unchangedSectors,
    estimatedMs: Math.round(plan.estimatedMs),
    warnings: plan.warnings.map((w) => ({ kind: w.kind, message: w.message })),
  };
}

export function verifyJson(report: VerifyReport): Record<string, unknown> {
  return {
    isMatch: report.isMatch,
    bytesCompared: report.bytesCompared,
    mismatchCount: report.mismatchCount,
    mismatchRanges: report.mismatchRanges.slice(0, 64),
    ...(report.firstMismatch !== undefined ? { firstMismatch: report.firstMismatch } : {}),
    sectorsWithMismatch: report.sectorsWithMismatch,
    diagnosis: report.diagnosis,
  };
}

/** The human summary of a verification: match, or where and why not. */
export function verifyText(report: VerifyReport): string {
  if (report.isMatch) return `verified: ${formatCount(report.bytesCompared)} bytes match`;
  const lines = [
    `verification FAILED: ${formatCount(report.mismatchCount)} of ${formatCount(report.bytesCompared)} bytes differ in ${report.mismatchRanges.length} range${
      report.mismatchRanges.length === 1 ? '' : 's'
    }${report.firstMismatch !== undefined ? `, first at ${formatAddress(report.firstMismatch)}` : ''}`,
    `  diagnosis: ${report.diagnosis.message}`,
  ];
  const shown = report.mismatchRanges.slice(0, 8).map((r) => `${formatAddress(r.start)}-${formatAddress(r.end)}`);
  lines.push(`  ranges: ${shown.join(', ')}${report.mismatchRanges.length > shown.length ? `, ... (${report.mismatchRanges.length - shown.length} more)` : ''}`);
  const sample = report.samples[0];
  if (sample) {
    const hex = (bytes: Uint8Array) => Array.from(bytes.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(`  at ${formatAddress(sample.address)} expected ${hex(sample.expected)}`, `  ${' '.repeat(13)} actual   ${hex(sample.actual)}`);
  }
  return lines.join('\n');
}

export async function runDeviceJob(context: CommandContext, access: DeviceAccess, summary: UsbDeviceSummary, job: DeviceJob): Promise<DeviceOutcome> {
  const started = context.io.now();
  const startedWall = context.io.wallClock();
  // Events always name the device (JSON consumers rely on it); human output prefixes it only for several devices.
  const label = summary.id;
  const say = (text: string) => {
    if (!job.isMulti) context.reporter.text(text);
  };
  let info: DeviceInfo | undefined;
  let plans: ProgramPlan[] = [];
  let verify: VerifyReport | undefined;
  let timings: PhaseTiming[] = [];
  let placed: ReturnType<typeof placeImage> | undefined;
  let failure: DfuErrorInfo | undefined;
  const warnings: string[] = [];
  let session: Awaited<ReturnType<typeof connectSession>>['session'] | undefined;
  try {
    const { opened, info: described } = await openDevice(access, summary);
    info = described;
    try {
      placed = placeImage(job, info);
      warnings.push(...placed.warnings);
      say(`Device   ${deviceLine(info)}`);
      // Verify jobs carry { erase: 'none', verify: true } plus any --flash-size (prepareImageJob).
      plans = planFor(placed.image, info, placed.alternate, job.program);
      if (job.kind === 'flash' && !job.planOnly) for (const plan of plans) say(`Plan     ${planLine(plan)}`);
      for (const plan of plans) for (const warning of plan.warnings) warnings.push(`${plan.region}: ${warning.message}`);
      if (job.planOnly) {
        context.reporter.text(`${job.isMulti ? `[${summary.id}] ${deviceLine(info)}\n` : ''}${plans.map(formatPlan).join('\n\n')}`);
        await opened.transport.close().catch(() => undefined);
        return { exitCode: ExitCode.ok, summary, info, plans, timings, elapsedMs: context.io.now() - started, reportFiles: [], warnings };
      }
    } catch (error) {
      await opened.transport.close().catch(() => undefined);
      throw error;
    }
    const connected = await connectSession({ access, opened, reporter: context.reporter, io: context.io, label });
    session = connected.session;
    timings = connected.timings;
    info = session.info;
    if (job.kind === 'flash') {
      const result = await session.program(placed.image, { ...job.program, ...(placed.alternate !== undefined ? { alternate: placed.alternate } : {}) }, { signal: context.io.signal });
      plans = [...result.plans];
      verify = result.verify;
      for (const plan of plans) {
        if (plan.isDifferential) {
          say(`Changed  ${plan.region}: ${plan.sectors.length} sector${plan.sectors.length === 1 ? '' : 's'} erased and written, ${plan.unchangedSectors.length} already up to date`);
        }
      }
    } else {
      verify = await session.verify(placed.image, placed.alternate, { signal: context.io.signal });
    }
    if (verify) say(verifyText(verify));
    if (verify && !verify.isMatch) {
      failure = { kind: 'verify-mismatch', firstAddress: verify.firstMismatch ?? 0, count: verify.mismatchCount, ranges: verify.mismatchRanges.length };
    }
  } catch (error) {
    failure = context.io.signal.aborted && !(error instanceof DfuError) ? { kind: 'cancelled', during: job.kind } : toDfuError(error).info;
  } finally {
    await session?.close();
  }
  const elapsedMs = context.io.now() - started;
  let reportFiles: string[] = [];
  if (job.reportPath !== undefined && info && placed) {
    try {
      reportFiles = writeFlashReport({
        path: job.reportPath,
        devicePath: job.isMulti ? summary.path : undefined,
        cwd: context.io.cwd,
        input: {
          tool: { version: context.version, interface: 'cli' },
          operation: job.kind,
          startedAt: startedWall,
          finishedAt: context.io.wallClock(),
          device: reportDeviceOf(info),
          image: {
            fileName: job.input.fileName,
            sha256: job.input.sha256,
            format: job.input.format,
            fileSizeBytes: job.input.bytes.length,
            image: placed.image,
            ...(placed.entryAddress !== undefined ? { entryAddress: placed.entryAddress } : {}),
          },
          regions: reportRegionsOf(info, plans),
          plans: job.kind === 'flash' ? plans.map(reportPlanOf) : [],
          timings,
          ...(verify ? { verification: verify } : {}),
          warnings,
          ...(failure ? { error: failure } : {}),
        },
      });
    } catch (error) {
      warnings.push(`the report could not be written: ${error instanceof Error ? error.message : String(error)}`);
      context.reporter.warning(`the report could not be written: ${error instanceof Error ? error.message : String(error)}`, label);
      if (!failure) failure = { kind: 'invalid-argument', argument: '--report', reason: error instanceof Error ? error.message : String(error) };
    }
  }
  return {
    exitCode: failure ? exitCodeFor(failure) : ExitCode.ok,
    ...(failure ? { error: failure } : {}),
    summary,
    ...(info ? { info } : {}),
    plans,
    ...(verify ? { verify } : {}),
    timings,
    elapsedMs,
    reportFiles,
    warnings,
  };
}

/** The JSON of one device's outcome (a device-result line, and an element of the result's devices). */
export function outcomeJson(outcome: DeviceOutcome): Record<string, unknown> {
  return {
    device: outcome.info
      ? deviceIdentityJson(outcome.info)
      : { id: outcome.summary.id, serialNumber: outcome.summary.serialNumber ?? null, path: outcome.summary.path, isSimulated: outcome.summary.isSimulated },
    ok: outcome.exitCode === ExitCode.ok,
    exitCode: outcome.exitCode,
    ...(outcome.error ? { error: errorJson(outcome.error) } : {}),
    plans: outcome.plans.map(planJson),
    ...(outcome.verify ? { verify: verifyJson(outcome.verify) } : {}),
    timings: outcome.timings,
    elapsedMs: Math.round(outcome.elapsedMs),
    reportFiles: outcome.reportFiles,
    warnings: outcome.warnings,
  };
}

/**
 * The command outcome of a run over several boards (flash or verify on selected devices, or a
 * station): the image, the pass/fail counts, every board's JSON, the combined exit code and the
 * first failure's error. `extra` adds the command's own fields (planOnly, boards).
 */
export function boardsOutcome(input: FirmwareInput, outcomes: readonly DeviceOutcome[], extra: Record<string, unknown>): CommandOutcome {
  const passed = outcomes.filter((outcome) => outcome.exitCode === ExitCode.ok).length;
  const firstFailure = outcomes.find((outcome) => outcome.error);
  return {
    exitCode: combineExitCodes(outcomes.map((outcome) => outcome.exitCode)),
    ...(firstFailure?.error ? { error: firstFailure.error } : {}),
    result: {
      image: { path: input.path, name: input.fileName, format: input.format, sizeBytes: input.bytes.length, sha256: input.sha256 },
      ...extra,
      passed,
      failed: outcomes.length - passed,
      devices: outcomes.map(outcomeJson),
    },
  };
}

/** One line per board: "[sim:2] PASSED serial 7FB4A4356231 at sim-2: 66,748 B, verified, 1.24 s". */
export function outcomeLine(outcome: DeviceOutcome, kind: 'flash' | 'verify'): string {
  const serial = outcome.summary.serialNumber ? `serial ${outcome.summary.serialNumber}` : 'no serial';
  const where = `[${outcome.summary.id}] ${outcome.exitCode === ExitCode.ok ? 'PASSED' : 'FAILED'} ${serial} at ${outcome.summary.path}`;
  if (outcome.error) return `${where}: ${describe(outcome.error)} (exit ${outcome.exitCode})`;
  const written = outcome.plans.reduce((n, p) => n + p.bytesToWrite, 0);
  const what = kind === 'flash' ? `${formatCount(written)} B written, ${outcome.verify ? 'verified' : 'not verified'}` : 'verified';
  return `${where}: ${what}, ${formatDuration(outcome.elapsedMs)}`;
}
