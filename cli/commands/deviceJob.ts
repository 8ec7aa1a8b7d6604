// One flash or verify on one device, as `flash`, `flash --all`, `flash --watch` and `verify` run
// it, on the job layer (core/jobs/flashJob.ts): prepare (place, plan, confirmations) before any DFU
// request, connect, run, write the report. Never throws: the outcome carries the error, so one
// failing board in a gang does not stop the others.
import { formatAddress } from '../../core/format.js';
import { formatPlan, type ProgramOptions, type ProgramPlan } from '../../core/dfuse/plan.js';
import type { VerifyReport } from '../../core/image/diff.js';
import { DfuError, describe, toDfuError, type ConfirmationKind, type DfuErrorInfo } from '../../core/errors.js';
import { boardTargetOf, checkBoardMatches, type BoardTarget } from '../../core/jobs/boardTarget.js';
import { missingConfirmations, type Confirmation } from '../../core/jobs/confirmations.js';
import { flashReportInputOf, prepareFlash, runFlash, type FlashOutcome, type FlashPreparation } from '../../core/jobs/flashJob.js';
import type { DeviceInfo } from '../../core/usb/descriptors.js';
import type { UsbDeviceSummary } from '../../core/usb/transport.js';
import { inOptionTerms, type AltSelector } from '../args.js';
import type { CommandContext, CommandOutcome } from '../context.js';
import type { DeviceAccess } from '../devices/deviceAccess.js';
import { connectSession, deviceIdentityJson, deviceLine, openDevice, resolveAlternate, type PhaseTiming } from '../devices/deviceSession.js';
import { errorJson } from '../errorJson.js';
import { combineExitCodes, ExitCode, exitCodeFor, type ExitCodeValue } from '../exitCodes.js';
import type { FirmwareInput } from '../imageInput.js';
import { formatSize, formatCount, formatDuration } from '../../core/format.js';
import { writeFlashReport } from '../reportFiles.js';
import { waitsForFlashSize } from './deviceCommand.js';

/**
 * The kind of board a multi-board run is for: set by the first board (in device order for --all,
 * the first to connect in station mode); every later board must match it (core/jobs/boardTarget.ts).
 */
export interface BoardReference {
  target?: BoardTarget;
}

export interface DeviceJob {
  readonly kind: 'flash' | 'verify';
  readonly input: FirmwareInput;
  /** --address: where a raw binary starts (default: the start of the target region). */
  readonly baseAddress?: number;
  readonly alt?: AltSelector;
  readonly program: ProgramOptions;
  /** The confirmation flags given (--write-otp, --write-option-bytes, ...). */
  readonly confirmed: readonly ConfirmationKind[];
  /** --plan: print the plan and touch nothing. */
  readonly planOnly: boolean;
  readonly reportPath?: string;
  /** Several devices at once (--all, --watch): lines name the device, reports get the path in their name. */
  readonly isMulti: boolean;
  /** Set for multi-board runs: boards that differ from the first are refused. */
  readonly board?: BoardReference;
}

export interface DeviceOutcome {
  readonly exitCode: ExitCodeValue;
  readonly error?: DfuErrorInfo;
  readonly summary: UsbDeviceSummary;
  readonly info?: DeviceInfo;
  readonly plans: readonly ProgramPlan[];
  /** Where a raw binary's first byte went (its JSON too: a raw binary always says where it goes). */
  readonly baseAddress?: number;
  /** What the plan needed confirmed (given or not). */
  readonly confirmations: readonly Confirmation[];
  readonly verify?: VerifyReport;
  readonly timings: readonly PhaseTiming[];
  readonly elapsedMs: number;
  readonly reportFiles: readonly string[];
  readonly warnings: readonly string[];
}

/** The engine's argument names as flash and verify spell them on the command line. */
const FLASH_OPTION_NAMES: Readonly<Record<string, string>> = {
  flashSizeBytes: '--flash-size',
  alternate: '--alt',
  baseAddress: '--address',
  erase: '--erase',
};

/** The plan lines for the human output: one per region, then what needs confirming. */
function preparationText(prepared: FlashPreparation): string[] {
  const lines = prepared.plans.map((plan) => `Plan     ${planLine(plan)}`);
  if (prepared.placed.baseAddress !== undefined) lines.push(`Placed   raw binary at ${formatAddress(prepared.placed.baseAddress)}`);
  if (prepared.optionBytes) lines.push(`Plan     option bytes: the ${prepared.optionBytes.raw.length}-byte block at ${formatAddress(prepared.optionBytes.address)} from the file, written last`);
  for (const needed of prepared.confirmations) lines.push(`Confirm  ${needed.title}: ${needed.consequence} (${needed.cliFlag})`);
  return lines;
}

/** "Internal Flash (alt 0): erase 522 sectors (65.3 KiB; blank ones are left alone), write 66,816 B in 33 chunks, ~1.83 s" */
export function planLine(plan: ProgramPlan): string {
  if (plan.readRanges.length > 0) {
    const bytes = plan.readRanges.reduce((n, r) => n + r.end - r.start, 0);
    const purpose = plan.isDifferential ? 'then erase and write only the sectors that differ' : 'then erase, write and put back the data outside the image';
    return `${plan.region} (alt ${plan.alternate}): read ${formatSize(bytes)} from the device first, ${purpose}`;
  }
  const erase =
    plan.eraseMode === 'mass'
      ? 'mass erase'
      : plan.sectors.length > 0
        ? `erase ${plan.sectors.length} sector${plan.sectors.length === 1 ? '' : 's'} (${formatSize(plan.sectors.reduce((n, s) => n + s.end - s.start, 0))}${plan.blankCheck ? '; blank ones are left alone' : ''})`
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
    blankCheck: plan.blankCheck,
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

/**
 * Runs `job` on one device. `described` is the device already opened and described (--all opens
 * every board first, so the first in device order sets the board reference).
 */
export async function runDeviceJob(
  context: CommandContext,
  access: DeviceAccess,
  summary: UsbDeviceSummary,
  job: DeviceJob,
  described?: Awaited<ReturnType<typeof openDevice>>,
): Promise<DeviceOutcome> {
  const started = context.io.now();
  const startedWall = context.io.wallClock();
  // Events always name the device (JSON consumers rely on it); human output prefixes it only for several devices.
  const label = summary.id;
  const say = (text: string) => {
    if (!job.isMulti) context.reporter.text(text);
  };
  let info: DeviceInfo | undefined;
  let prepared: FlashPreparation | undefined;
  let prepare: ((deviceInfo: DeviceInfo) => FlashPreparation) | undefined;
  // A refusal that the connect may settle (waitsForFlashSize): planned again after it.
  let waitingForFlashSize: DfuError | undefined;
  let outcome: FlashOutcome | undefined;
  let timings: PhaseTiming[] = [];
  let failure: DfuErrorInfo | undefined;
  const warnings: string[] = [];
  let session: Awaited<ReturnType<typeof connectSession>>['session'] | undefined;
  try {
    const { opened, info: deviceInfo } = described ?? (await openDevice(access, summary));
    info = deviceInfo;
    try {
      if (job.board) {
        if (job.board.target) checkBoardMatches(job.board.target, info);
        else job.board.target = boardTargetOf(info);
      }
      const alternate = job.alt ? resolveAlternate(info, job.alt).alternate : undefined;
      prepare = (deviceInfo: DeviceInfo) =>
        inOptionTerms(FLASH_OPTION_NAMES, () =>
          prepareFlash(deviceInfo, {
            kind: job.kind,
            source: { fileName: job.input.fileName, bytes: job.input.bytes, ...(job.input.explicitFormat ? { format: job.input.explicitFormat } : {}) },
            placement: { ...(alternate !== undefined ? { alternate } : {}), ...(job.baseAddress !== undefined ? { baseAddress: job.baseAddress } : {}) },
            options: job.program,
          }),
        );
      try {
        prepared = prepare(info);
      } catch (error) {
        // --plan touches nothing, so it cannot wait for the flash-size register.
        if (job.planOnly || !waitsForFlashSize(error, info, job.program.flashSizeBytes)) throw error;
        waitingForFlashSize = error;
      }
      say(`Device   ${deviceLine(info)}`);
      if (prepared) warnings.push(...prepared.warnings);
      if (!prepared) {
        // Planned once the connect has read the flash size (below).
      } else if (job.kind === 'flash' && !job.planOnly) for (const line of preparationText(prepared)) say(line);
      // verify compares a raw binary where it was placed: say where, as flash does.
      else if (!job.planOnly && prepared.placed.baseAddress !== undefined) say(`Placed   raw binary at ${formatAddress(prepared.placed.baseAddress)}`);
      if (job.planOnly && prepared) {
        const text = [...prepared.plans.map(formatPlan), ...preparationText(prepared).filter((line) => !line.startsWith('Plan '))].join('\n\n');
        context.reporter.text(`${job.isMulti ? `[${summary.id}] ${deviceLine(info)}\n` : ''}${text}`);
        await opened.transport.close().catch(() => undefined);
        return {
          exitCode: ExitCode.ok,
          summary,
          info,
          plans: prepared.plans,
          ...(prepared.placed.baseAddress !== undefined ? { baseAddress: prepared.placed.baseAddress } : {}),
          confirmations: prepared.confirmations,
          timings,
          elapsedMs: context.io.now() - started,
          reportFiles: [],
          warnings,
        };
      }
      // A missing confirmation ends the job here, before the first DFU request.
      const missing = prepared && missingConfirmations(prepared.confirmations, job.confirmed)[0];
      if (missing) throw new DfuError({ kind: 'confirmation-required', action: missing.kind, reason: missing.consequence });
    } catch (error) {
      await opened.transport.close().catch(() => undefined);
      throw error;
    }
    const connected = await connectSession({ access, opened, reporter: context.reporter, io: context.io, label });
    session = connected.session;
    timings = connected.timings;
    // Connecting may have read the flash-size register (where the description is in doubt): plan
    // again with it and say so, so the plan printed is the one that runs (runFlash would replan too).
    if (session.info.flashSizeBytes === info.flashSizeBytes && waitingForFlashSize) throw waitingForFlashSize;
    if (session.info.flashSizeBytes !== info.flashSizeBytes && prepare) {
      info = session.info;
      const replanned = `Replan   the flash-size register says ${formatSize(info.flashSizeBytes ?? 0)} of flash`;
      const before = prepared ? preparationText(prepared).join('\n') : '';
      try {
        prepared = prepare(info);
      } catch (error) {
        say(replanned);
        throw error;
      }
      // Said only when it changes something (an L073's register confirms the 192 KiB described).
      if (job.kind === 'flash' && preparationText(prepared).join('\n') !== before) {
        say(replanned);
        for (const line of preparationText(prepared).filter((text) => text.startsWith('Plan '))) say(line);
      }
      if (waitingForFlashSize) warnings.push(...prepared.warnings);
      const missingNow = missingConfirmations(prepared.confirmations, job.confirmed)[0];
      if (missingNow) throw new DfuError({ kind: 'confirmation-required', action: missingNow.kind, reason: missingNow.consequence });
    }
    // Planned before the connect, or (waitingForFlashSize) after it: there is a plan by now.
    outcome = await runFlash(session, prepared!, { confirmed: job.confirmed, signal: context.io.signal });
    for (const plan of outcome.plans) {
      const blank = outcome.result?.blankSectors[plan.alternate]?.length ?? 0;
      if (blank > 0) say(`Erased   ${plan.region}: ${plan.sectors.length - blank} of ${plan.sectors.length} sectors; ${blank} read blank and were left alone`);
      if (plan.isDifferential) {
        say(`Changed  ${plan.region}: ${plan.sectors.length} sector${plan.sectors.length === 1 ? '' : 's'} erased and written, ${plan.unchangedSectors.length} already up to date`);
      }
    }
    if (outcome.verify) say(verifyText(outcome.verify));
    for (const note of outcome.notes) say(`Note     ${note}`);
    warnings.push(...outcome.notes);
    const verify = outcome.verify;
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
  if (job.reportPath !== undefined && prepared) {
    try {
      reportFiles = writeFlashReport({
        path: job.reportPath,
        devicePath: job.isMulti ? summary.path : undefined,
        cwd: context.io.cwd,
        input: flashReportInputOf({
          prepared,
          ...(outcome ? { outcome } : {}),
          tool: { version: context.version, interface: 'cli' },
          file: { fileName: job.input.fileName, sha256: job.input.sha256, fileSizeBytes: job.input.bytes.length },
          startedAt: startedWall,
          finishedAt: context.io.wallClock(),
          timings,
          ...(failure ? { error: failure } : {}),
        }),
      });
    } catch (error) {
      // The board's own outcome stands (a verified flash stays verified); the run still fails, with
      // the output-file exit code, because the report a production line asked for is missing.
      const reason = error instanceof Error ? error.message : String(error);
      const warning = `the report could not be written${failure ? '' : ' (the board itself succeeded)'}: ${reason}`;
      warnings.push(warning);
      context.reporter.warning(warning, label);
      if (!failure) failure = toDfuError(error).info;
    }
  }
  return {
    exitCode: failure ? exitCodeFor(failure) : ExitCode.ok,
    ...(failure ? { error: failure } : {}),
    summary,
    ...(info ? { info } : {}),
    plans: outcome?.plans ?? prepared?.plans ?? [],
    ...(prepared?.placed.baseAddress !== undefined ? { baseAddress: prepared.placed.baseAddress } : {}),
    confirmations: prepared?.confirmations ?? [],
    ...(outcome?.verify ? { verify: outcome.verify } : {}),
    timings,
    elapsedMs,
    reportFiles,
    warnings,
  };
}

/** The outcome of a board that could not even be opened. */
export function failedOutcome(summary: UsbDeviceSummary, error: DfuError): DeviceOutcome {
  return { exitCode: exitCodeFor(error.info), error: error.info, summary, plans: [], confirmations: [], timings: [], elapsedMs: 0, reportFiles: [], warnings: [] };
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
    ...(outcome.baseAddress !== undefined ? { baseAddress: outcome.baseAddress } : {}),
    confirmations: outcome.confirmations.map(({ kind, title, consequence, isIrreversible, cliFlag }) => ({ kind, title, consequence, isIrreversible, cliFlag })),
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
