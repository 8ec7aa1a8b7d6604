// Flash (or verify) one firmware file on one device: the use case both front ends run. prepareFlash
// is pure and comes before any DFU request: it places the file, plans every region, and lists the
// confirmations the plan needs. runFlash refuses to start while one is missing, then erases,
// writes and verifies through the session, writes a confirmed raw option-byte block last (the
// device resets after it), and leaves DFU mode only when everything succeeded and matched.
import { formatAddress, formatSize } from '../format.js';
import { lockoutConsequence } from './optionBytesJob.js';
import { decodeOptionBytes, lockoutRisks, type DecodedOptionBytes } from '../dfuse/optionBytes.js';
import { planImage, planProgram, type ProgramOptions, type ProgramPlan } from '../dfuse/plan.js';
import { partialSectorLines } from '../dfuse/planText.js';
import { rangeLength, type AddressRange } from '../image/memoryImage.js';
import { MemoryImage } from '../image/memoryImage.js';
import type { DfuseSession, ProgramResult } from '../dfuse/session.js';
import { DfuError, type ConfirmationKind, type DfuErrorInfo } from '../errors.js';
import { diffImages, type VerifyReport } from '../image/diff.js';
import { familyFacts } from '../devices/stm32.js';
import { reportDeviceOf, reportPlanOf, reportRegionsOf, type FlashReportInput } from '../report/flashReport.js';
import type { AlternateInfo, DeviceInfo } from '../usb/descriptors.js';
import { checkConfirmed, confirmation, type Confirmation } from './confirmations.js';
import { placeImage, type FirmwareSource, type Placement, type PlacedImage } from './placeImage.js';

export interface FlashRequest {
  readonly kind: 'flash' | 'verify';
  readonly source: FirmwareSource;
  readonly placement?: Placement;
  /** For 'verify' only flashSizeBytes is used (nothing is erased or written). */
  readonly options: ProgramOptions;
}

/** A whole option-byte block carried by the file, written raw (with 'write-option-bytes'). */
export interface RawOptionBytesBlock {
  readonly alternate: number;
  readonly address: number;
  readonly raw: Uint8Array;
  /** The block as the option-byte editor would show it after the write. */
  readonly decoded: DecodedOptionBytes;
}

export interface FlashPreparation {
  readonly kind: 'flash' | 'verify';
  readonly info: DeviceInfo;
  readonly placed: PlacedImage;
  /** What is erased, written and verified: the file's bytes without its option bytes. */
  readonly image: MemoryImage;
  readonly options: ProgramOptions;
  /** One plan per region the image touches (without device content: a differential run reads first). */
  readonly plans: readonly ProgramPlan[];
  readonly optionBytes?: RawOptionBytesBlock;
  /** What the user must confirm before runFlash starts. */
  readonly confirmations: readonly Confirmation[];
  /** Placement and plan warnings, each naming its region. */
  readonly warnings: readonly string[];
  readonly fileName: string;
  /** The confirmations and warnings that do not come from the plans (placement, option bytes). */
  readonly baseConfirmations: readonly Confirmation[];
  readonly baseWarnings: readonly string[];
}

export interface FlashOutcome {
  readonly plans: readonly ProgramPlan[];
  /** Absent when verification was off (or only option bytes were written). */
  readonly verify?: VerifyReport;
  readonly result?: ProgramResult;
  readonly hasWrittenOptionBytes: boolean;
  readonly hasLeft: boolean;
  /** Things the user should know about how the run ended (leave skipped, device resetting...). */
  readonly notes: readonly string[];
}

export interface RunOptions {
  readonly confirmed: readonly ConfirmationKind[];
  readonly signal?: AbortSignal;
}

/**
 * Places, splits and plans; throws (DfuError) whatever cannot be done, before any DFU request.
 * `deviceContent` is what is already known of the device (a session's knownContent): with it the
 * plans say which partly covered sectors are blank outside the image and ask about none of them.
 */
export function prepareFlash(info: DeviceInfo, request: FlashRequest, deviceContent?: MemoryImage): FlashPreparation {
  const placed = placeImage(request.source, info, request.placement);
  const warnings = [...placed.warnings];
  const confirmations = [...placed.confirmations];
  const options: ProgramOptions =
    request.kind === 'verify'
      ? { erase: 'none', verify: true, ...(request.options.flashSizeBytes !== undefined ? { flashSizeBytes: request.options.flashSizeBytes } : {}) }
      : request.options;

  const optionBytesAlt = info.alternates.find((a) => a.role === 'option-bytes' && a.layout && (placed.alternate === undefined || a.alternate === placed.alternate));
  const inOptionBytes = optionBytesAlt?.layout ? MemoryImage.fromBlocks(optionBytesAlt.layout.region.segments.flatMap((s) => placed.image.slice(s).blocks)) : MemoryImage.empty;
  let image = placed.image;
  let optionBytes: RawOptionBytesBlock | undefined;
  if (!inOptionBytes.isEmpty && optionBytesAlt) {
    for (const segment of optionBytesAlt.layout!.region.segments) image = image.without(segment);
    if (request.kind === 'verify') {
      warnings.push(`${optionBytesAlt.name}: the ${formatSize(inOptionBytes.size)} of option bytes in the file are not compared (read them with the option-byte editor)`);
    } else {
      optionBytes = rawOptionBytesBlock(info, optionBytesAlt, inOptionBytes, request.source.fileName);
      confirmations.push(confirmation('write-option-bytes', optionBytesConsequence(optionBytes)));
      const risks = lockoutRisks(optionBytes.decoded);
      if (risks.length > 0) confirmations.push(confirmation('option-lockout', lockoutConsequence(risks)));
      if (optionBytes.decoded.rdpLevel === 2) {
        confirmations.push(
          confirmation('permanent-lock', `the option bytes in ${request.source.fileName} set read protection level 2: debug and the DFU bootloader are disabled for good`),
        );
      }
    }
  }
  if (image.isEmpty && !optionBytes) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'image', reason: `${request.source.fileName} holds no bytes to ${request.kind === 'verify' ? 'compare' : 'write'}` });
  }
  const base = { kind: request.kind, info, placed, image, options, fileName: request.source.fileName, ...(optionBytes ? { optionBytes } : {}), baseConfirmations: confirmations, baseWarnings: warnings };
  return withPlans(base, deviceContent);
}

type PreparationBase = Omit<FlashPreparation, 'plans' | 'confirmations' | 'warnings'>;

/** Plans every region of a placed image (again, with more device content known) and adds the plan's warnings and confirmations. */
function withPlans(base: PreparationBase, deviceContent: MemoryImage | undefined): FlashPreparation {
  const { image, info, options, placed } = base;
  const confirmations = [...base.baseConfirmations];
  const warnings = [...base.baseWarnings];
  let plans: ProgramPlan[] = [];
  if (!image.isEmpty) {
    plans =
      placed.alternate !== undefined
        ? [planProgram({ image, info, alternate: placed.alternate, options, ...(deviceContent ? { deviceContent } : {}) })]
        : planImage(image, info, options, deviceContent);
  }
  for (const plan of plans) {
    for (const warning of plan.warnings) warnings.push(`${plan.region}: ${warning.message}`);
    if (base.kind === 'flash' && plan.role === 'otp' && plan.bytesToWrite > 0) {
      const bytes = plan.expected.size;
      confirmations.push(
        confirmation(
          'write-otp',
          `writes ${formatSize(bytes)} into ${plan.region} at ${formatAddress(plan.expected.start)}: one-time programmable bytes can never be changed or erased again`,
        ),
      );
    }
  }
  return { ...base, plans, confirmations, warnings };
}

/**
 * The bytes outside the image in partly covered sectors that nobody has read yet: what
 * probePartialSectors reads, one range per head or tail (a sector the image covers in the middle
 * has both). Empty when every such sector is known, preserved, or read anyway (differential).
 */
export interface ProbeOptions {
  /** Also read what a differential plan reads anyway (a preview asks before the job reads). */
  readonly evenWhenReadFirst?: boolean;
  /**
   * Also read what a differential or preserve plan must read first, so that a preview is the plan
   * the job will run ("1 of 524 sectors changed", not "full write until read").
   */
  readonly withPlanReads?: boolean;
}

/** The first address a plan must not read: where a known overstating part's flash may end. */
function readableEnd(plan: ProgramPlan): number {
  // An L072xB reading above 128 KiB hangs its ROM: such bytes stay unknown (and are asked about).
  return Math.min(...plan.warnings.filter((w) => w.kind === 'flash-overstated' && w.range).map((w) => w.range!.start), Infinity);
}

export function partialSectorProbes(
  prepared: FlashPreparation,
  options: ProbeOptions = {},
): { readonly alternate: number; readonly sector: number; readonly range: AddressRange }[] {
  if (prepared.kind !== 'flash') return [];
  const probes: { alternate: number; sector: number; range: AddressRange }[] = [];
  for (const plan of prepared.plans) {
    const realEnd = readableEnd(plan);
    for (const partial of plan.partialSectors) {
      if (partial.state !== 'unknown') continue;
      for (const range of partial.outside) {
        if (range.end > realEnd) continue;
        // A differential plan reads whole touched sectors first: a job needs no separate read.
        // A preview does (the question comes before the job), and a head or tail is cheap.
        if (!options.evenWhenReadFirst && plan.readRanges.some((r) => r.start <= range.start && range.end <= r.end)) continue;
        probes.push({ alternate: plan.alternate, sector: partial.index, range });
      }
    }
  }
  return probes;
}

/**
 * Reads the bytes outside the image in each partly covered sector (one read per head or tail, only
 * what the session does not know yet) and plans again with them: a sector whose outside bytes are
 * all the erased value (0xFF, or 0x00 on L0/L1) loses nothing, so it is neither warned about nor
 * asked about, and the plan text says "sector 5 tail is blank: nothing lost".
 */
export async function probePartialSectors(
  session: DfuseSession,
  prepared: FlashPreparation,
  call: { readonly signal?: AbortSignal } = {},
  options: ProbeOptions = {},
): Promise<FlashPreparation> {
  const planReads = options.withPlanReads ? planReadsOf(prepared) : [];
  const probes = partialSectorProbes(prepared, options);
  if (probes.length === 0 && planReads.length === 0) return prepared;
  for (const read of planReads) {
    if (session.knownContent.covers(read.range)) continue;
    await session.read(read.alternate, read.range, call);
  }
  for (const probe of probes) {
    if (session.knownContent.covers(probe.range)) continue;
    await session.read(probe.alternate, probe.range, call);
  }
  return withPlans(prepared, session.knownContent);
}

/** What differential and preserve plans read before they are final (never past a real flash end). */
export function planReadsOf(prepared: FlashPreparation): { readonly alternate: number; readonly range: AddressRange }[] {
  if (prepared.kind !== 'flash') return [];
  return prepared.plans.flatMap((plan) => {
    const realEnd = readableEnd(plan);
    return plan.readRanges.filter((range) => range.end <= realEnd).map((range) => ({ alternate: plan.alternate, range }));
  });
}

/**
 * Runs a prepared flash or verify on an open session of the same device. A verification mismatch
 * is a result (outcome.verify.isMatch false), not a throw; everything else that fails throws.
 */
export async function runFlash(session: DfuseSession, given: FlashPreparation, run: RunOptions): Promise<FlashOutcome> {
  // The session may know the device better than the description the plan was made from: the CLI
  // plans before it connects, and connecting reads the flash-size register where the descriptor
  // is in doubt (an STM32L072xB describes 192 KiB and has 128). Plan again with what the session
  // knows, so a limit found at connect refuses the image before anything is erased.
  const prepared = session.info.flashSizeBytes === given.info.flashSizeBytes ? given : withPlans({ ...given, info: session.info }, session.knownContent);
  checkConfirmed(prepared.confirmations, run.confirmed);
  const call = { ...(run.signal ? { signal: run.signal } : {}), confirmed: run.confirmed };
  if (prepared.kind === 'verify') {
    const verify = await session.verifyPlans(prepared.plans, call);
    return { plans: prepared.plans, verify: verify.isMatch ? verify : verifyOnlyDiagnosis(session, prepared.plans, verify), hasWrittenOptionBytes: false, hasLeft: false, notes: [] };
  }
  const notes: string[] = [];
  const optionBytes = prepared.optionBytes;
  const wantsLeave = prepared.options.leave === true;
  let result: ProgramResult | undefined;
  if (!prepared.image.isEmpty) {
    // Partly covered sectors are read first (unless already known), so the plans and the log say
    // what the erase really costs. The confirmations were given for the worse case already.
    const probed = await probePartialSectors(session, prepared, call);
    for (const plan of probed.plans) for (const line of partialSectorLines(plan)) notes.push(`${plan.region}: ${line}`);
    // With option bytes still to write, leave waits: the option-byte write resets the device anyway.
    const options: ProgramOptions & { alternate?: number } = {
      ...prepared.options,
      leave: wantsLeave && !optionBytes,
      ...(prepared.placed.alternate !== undefined ? { alternate: prepared.placed.alternate } : {}),
    };
    const isFinal = probed.plans.every((plan) => plan.readRanges.length === 0);
    // Final plans run as they are; plans that must read first (differential, preserve) are planned
    // again by the session after its read, with everything it knows by then.
    result = isFinal
      ? await session.execute(withPlans({ ...probed, options }, session.knownContent).plans, call)
      : await session.program(prepared.image, options, call);
    if (wantsLeave && !result.hasLeft && result.verify && !result.verify.isMatch) notes.push('not started: the verification failed, so the device stays in DFU mode');
  }
  const verify = result?.verify;
  let hasWrittenOptionBytes = false;
  if (optionBytes) {
    if (verify && !verify.isMatch) {
      notes.push(`option bytes not written: the verification of the firmware failed`);
    } else {
      const reset = await session.writeOptionBytes(optionBytes.raw, optionBytes.address, call);
      hasWrittenOptionBytes = true;
      notes.push(
        reset === 'reset'
          ? `option bytes at ${formatAddress(optionBytes.address)} written; the device resets to apply them${wantsLeave ? ' (no leave request is needed)' : ''}`
          : `option bytes at ${formatAddress(optionBytes.address)} written; the bootloader did not reset, so they apply at the next reset: power-cycle the board (or reset it) to load them`,
      );
    }
  }
  return {
    plans: result?.plans ?? prepared.plans,
    ...(verify ? { verify } : {}),
    ...(result ? { result } : {}),
    hasWrittenOptionBytes,
    hasLeft: result?.hasLeft ?? false,
    notes,
  };
}

/**
 * A "Verify only" wrote nothing, so its diagnosis cannot be an erase or a write that failed: the
 * bytes read back (the session keeps them) are compared again in that context, which tells other
 * firmware, an image that is not on the board, and an image placed a few bytes off apart.
 */
function verifyOnlyDiagnosis(session: DfuseSession, plans: readonly ProgramPlan[], report: VerifyReport): VerifyReport {
  const actual = session.knownContent;
  for (const plan of plans) {
    const expected = MemoryImage.fromBlocks(plan.verifyRanges.flatMap((r) => plan.expected.slice(r).blocks));
    // Against everything the session has read: the verify ranges, and any earlier reads around them.
    const again = diffImages(expected, actual, { erasedValue: plan.erasedValue, context: 'verify-only', rewriteBehaviour: familyFacts(session.info.family).rewriteBehaviour });
    if (!again.isMatch) return { ...report, diagnosis: again.diagnosis };
  }
  return report;
}

function rawOptionBytesBlock(
  info: DeviceInfo,
  alt: AlternateInfo,
  bytes: MemoryImage,
  fileName: string,
): RawOptionBytesBlock {
  const region = alt.layout!.region;
  const segment = region.segments.find((s) => s.start <= bytes.start && bytes.start < s.end)!;
  const ranges = bytes.ranges;
  const isWhole = ranges.length === 1 && ranges[0]!.start === segment.start && ranges[0]!.end === segment.end;
  if (!isWhole) {
    throw new DfuError({
      kind: 'not-writable',
      address: bytes.start,
      region: region.name,
      detail:
        `${fileName} holds ${formatSize(bytes.size)} of the ${rangeLength(segment)}-byte option-byte block at ${formatAddress(segment.start)}` +
        `${region.segments.length > 1 && bytes.end > segment.end ? ' and bytes of another block (the device resets after each block: one per run)' : ''}: ` +
        'a raw option-byte write needs exactly one whole block; change single fields with the option-byte editor',
    });
  }
  const raw = bytes.read(segment, 0xff);
  return { alternate: alt.alternate, address: segment.start, raw, decoded: decodeOptionBytes(info.family, segment.start, raw) };
}

function optionBytesConsequence(block: RawOptionBytesBlock): string {
  const rdp = block.decoded.hasRdp ? `; read protection becomes level ${block.decoded.rdpLevel}` : '';
  return (
    `writes the ${block.raw.length}-byte option-byte block at ${formatAddress(block.address)} from the file as it is${rdp}. ` +
    'Wrong option bytes can disable the DFU bootloader (BOOT settings) or protect the flash; lowering read protection erases the flash. The device resets afterwards'
  );
}

/** The flash report's input, the same for the CLI's --report and the app's Save report. */
export function flashReportInputOf(input: {
  readonly prepared: FlashPreparation;
  readonly outcome?: FlashOutcome;
  readonly tool: FlashReportInput['tool'];
  readonly file: { readonly fileName: string; readonly sha256: string; readonly fileSizeBytes: number };
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly timings: FlashReportInput['timings'];
  readonly error?: DfuErrorInfo;
}): FlashReportInput {
  const { prepared, outcome } = input;
  const plans = outcome?.plans ?? prepared.plans;
  const firmware = prepared.placed.firmware;
  return {
    tool: input.tool,
    operation: prepared.kind,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    device: reportDeviceOf(prepared.info),
    image: {
      fileName: input.file.fileName,
      sha256: input.file.sha256,
      format: firmware.format,
      fileSizeBytes: input.file.fileSizeBytes,
      image: prepared.placed.image,
      ...(firmware.entryAddress !== undefined ? { entryAddress: firmware.entryAddress } : {}),
    },
    regions: reportRegionsOf(prepared.info, plans),
    plans: prepared.kind === 'flash' ? plans.map((plan) => reportPlanOf(plan, outcome?.result?.blankSectors[plan.alternate])) : [],
    timings: input.timings,
    ...(outcome?.verify ? { verification: outcome.verify } : {}),
    warnings: [...prepared.warnings, ...(outcome?.notes ?? [])],
    ...(input.error ? { error: input.error } : {}),
  };
}
