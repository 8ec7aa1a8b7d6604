// DfuseSession: the one object the job layer (and tests, benches) hold for an opened device. It
// plans where a call needs it, then sequences: what to erase and write is decided by plan.ts, how
// long to wait by poll.ts. The parts, along their seams:
//   link.ts             the device's state (selected alt setting, in download, gone) and the requests
//                       that move it, with recovery
//   sessionEvents.ts    phases, progress and log events, with their ordering guarantee
//   transfers.ts        read, write chunks, erase a sector, mass erase
//   planExecution.ts    run ready plans (the executor's guard, erase, write, verify, leave)
//   resetOperations.ts  leave, option-byte write, read unprotect: the device goes away afterwards
// Every step is logged, every DNLOAD's status is checked, and errors leave the device in dfuIDLE
// where it can still answer.
import type { Clock } from '../clock.js';
import { recoverToIdle } from '../dfu/requests.js';
import { DfuError, stateName, statusName } from '../errors.js';
import { formatAddress, formatHex4, formatUsbId } from '../format.js';
import type { VerifyReport } from '../image/diff.js';
import { MemoryImage, rangeLength, totalLength, type AddressRange } from '../image/memoryImage.js';
import { probeFlashSize, systemMemoryReader, withFlashSizeProbe } from '../devices/flashSize.js';
import { describeDevice, type DeviceInfo } from '../usb/descriptors.js';
import type { OpenedDevice } from '../usb/transport.js';
import { CountingTransport, DeviceLink, type SessionStats } from './link.js';
import { regionRange, sectorByIndex, sectorsIn, type Sector } from './memoryLayout.js';
import { decodeOptionBytes, type DecodedOptionBytes } from './optionBytes.js';
import { planImage, planProgram, type ProgramOptions, type ProgramPlan } from './plan.js';
import { leaveIfVerified, mergeReports, phaseOf, runPlans, verifyPlan, type CallOptions, type ExecutionResult } from './planExecution.js';
import { leaveNow, readUnprotectNow, writeOptionBytesNow, type ResetOutcome } from './resetOperations.js';
import { checkCancelled, checkMainFlash, KnownContent, MAX_TRANSFER_SIZE, optionBytesRegion, regionOf, withTransferCap, type SessionContext, type SessionStrategy } from './sessionContext.js';
import { PhaseReporter, type PhaseTiming, type SessionEvent } from './sessionEvents.js';
import { eraseSector, massErase, readRange } from './transfers.js';

export type { LogLevel, PhaseTiming, SessionEvent, SessionPhase } from './sessionEvents.js';
export type { SessionStats } from './link.js';
export type { SessionStrategy } from './sessionContext.js';
export type { CallOptions } from './planExecution.js';

export interface SessionOptions {
  readonly clock: Clock;
  readonly onEvent?: (event: SessionEvent) => void;
  /** Cancels the current and every later call at the next safe point. */
  readonly signal?: AbortSignal;
  readonly strategy?: SessionStrategy;
}

export interface ProgramResult extends ExecutionResult {
  readonly timings: readonly PhaseTiming[];
  readonly controlTransfers: number;
  readonly elapsedMs: number;
  readonly hasLeft: boolean;
}

export class DfuseSession {
  readonly stats: SessionStats;
  private readonly context: SessionContext;

  private constructor(info: DeviceInfo, options: SessionOptions, stats: SessionStats, opened: OpenedDevice) {
    this.stats = stats;
    const phases = new PhaseReporter(options.clock, options.onEvent ?? (() => undefined));
    const strategy: Required<SessionStrategy> = { polling: options.strategy?.polling ?? 'adaptive', addressing: options.strategy?.addressing ?? 'per-run' };
    const link = new DeviceLink({
      transport: new CountingTransport(opened.transport, stats),
      clock: options.clock,
      info,
      polling: strategy.polling,
      stats,
      log: (level, message, data) => phases.log(level, message, data),
    });
    this.context = {
      info: withTransferCap(info),
      link,
      phases,
      clock: options.clock,
      strategy,
      known: new KnownContent(),
      sessionSignal: options.signal,
      deviceTransferSize: info.functional.transferSize,
    };
  }

  /** What the descriptors say, with the flash size read from F_SIZE at connect where the bootloader allowed it. */
  get info(): DeviceInfo {
    return this.context.info;
  }

  /**
   * The device bytes this session has read back and not changed since (immutable). Right after a
   * verification it holds what was read back, so the app's diff viewer can show the whole mismatch
   * without reading again.
   */
  get knownContent(): MemoryImage {
    return this.context.known.image;
  }

  /**
   * Parses the descriptors and brings the device to dfuIDLE (dfuERROR at connect is normal on
   * L0/L1/F4 BLs), then selects alt 0. Emits the 'connect' phase. Recovery comes first: an earlier
   * session or tool may have left the device in dfuDNLOAD-IDLE or dfuUPLOAD-IDLE, and SET_INTERFACE
   * belongs in dfuIDLE (DFU 1.1 §A.2; GETSTATUS, CLRSTATUS and ABORT work on any alt setting).
   */
  static async open(opened: OpenedDevice, options: SessionOptions): Promise<DfuseSession> {
    const info = describeDevice(opened);
    const stats: SessionStats = { controlTransfers: 0, bytesOut: 0, bytesIn: 0, sleptMs: 0 };
    const session = new DfuseSession(info, options, stats, opened);
    const { link, phases, clock } = session.context;
    await phaseOf(session.context, 'connect', 0, undefined, async () => {
      phases.log('info', `${info.product ?? 'DFU device'} ${formatUsbId(info.vendorId, info.productId)} bcdDevice ${formatHex4(info.bcdDevice)}: family ${info.family} (${info.familyReason})`, {
        transferSize: info.functional.transferSize,
        alternates: info.alternates.map((a) => a.descriptor),
        quirks: info.quirks,
      });
      for (const warning of info.warnings) phases.log('warn', warning);
      for (const note of info.notes ?? []) phases.log('info', note);
      if (info.functional.transferSize > MAX_TRANSFER_SIZE) {
        phases.log('info', `wTransferSize ${info.functional.transferSize}: transfers capped at ${MAX_TRANSFER_SIZE} bytes (the Linux usbfs limit), each with its own Set Address`);
      }
      const reply = await recoverToIdle(link.transport, {
        clock,
        during: 'connect',
        onStep: (step) => {
          if (step.action !== 'none') phases.log('info', `connect: device in ${stateName(step.state)} (${statusName(step.status)}): ${step.action}`, { ...step });
        },
      });
      phases.log('debug', `connect: ${stateName(reply.state)}, ${statusName(reply.status)}`);
      await link.selectAlternate(0, 'connect');
      // The real flash size from F_SIZE where the bootloader lets it be read (core/devices/flashSize.ts);
      // otherwise the descriptor and the user's saved size stand.
      const probe = await probeFlashSize(info, systemMemoryReader(link));
      const corrected = withFlashSizeProbe(info, probe);
      if (corrected !== info) {
        for (const note of (corrected.notes ?? []).filter((n) => !(info.notes ?? []).includes(n))) phases.log('info', note);
        for (const warning of corrected.warnings.filter((w) => !info.warnings.includes(w))) phases.log('warn', warning);
        (session.context as { info: DeviceInfo }).info = withTransferCap(corrected);
      }
    });
    return session;
  }

  /** Plans (one plan per region the image touches, or the given alternate) and executes. */
  async program(image: MemoryImage, options: ProgramOptions & { readonly alternate?: number }, call: CallOptions = {}): Promise<ProgramResult> {
    const { context } = this;
    const started = context.clock.now();
    const transfersBefore = this.stats.controlTransfers;
    const plan = (deviceContent?: MemoryImage): ProgramPlan[] =>
      options.alternate !== undefined
        ? [planProgram({ image, info: this.info, alternate: options.alternate, options, deviceContent })]
        : planImage(image, this.info, options, deviceContent);
    const needsContent = options.differential === true || options.preserve === true;
    let deviceContent = needsContent && !context.known.image.isEmpty ? context.known.image : undefined;
    let plans = plan(deviceContent);
    const timings: PhaseTiming[] = [];
    const toRead = plans.flatMap((p) => p.readRanges.map((range) => ({ alternate: p.alternate, range })));
    if (toRead.length > 0) {
      const total = toRead.reduce((n, r) => n + rangeLength(r.range), 0);
      timings.push(
        await phaseOf(context, 'read', total, call.signal, async (run) => {
          for (const { alternate, range } of toRead) await readRange(context, alternate, range, run, call.signal);
        }),
      );
      deviceContent = context.known.image;
      plans = plan(deviceContent);
    } else if (deviceContent) {
      context.phases.log('info', 'device content known from earlier reads in this session: nothing to read first');
    }
    const result = await runPlans(context, plans, call, deviceContent, timings);
    const hasLeft = await leaveIfVerified(context, options.leave === true, result.verify, timings, call);
    return { ...result, timings, controlTransfers: this.stats.controlTransfers - transfersBefore, elapsedMs: context.clock.now() - started, hasLeft };
  }

  /** Executes ready plans (from planProgram/planImage with any device content already given). */
  async execute(plans: ProgramPlan | readonly ProgramPlan[], call: CallOptions = {}): Promise<ProgramResult> {
    const { context } = this;
    const started = context.clock.now();
    const transfersBefore = this.stats.controlTransfers;
    const list = Array.isArray(plans) ? (plans as readonly ProgramPlan[]) : [plans as ProgramPlan];
    const timings: PhaseTiming[] = [];
    const result = await runPlans(context, list, call, undefined, timings);
    const hasLeft = await leaveIfVerified(context, list.some((p) => p.options.leave), result.verify, timings, call);
    return { ...result, timings, controlTransfers: this.stats.controlTransfers - transfersBefore, elapsedMs: context.clock.now() - started, hasLeft };
  }

  /** Reads back `image`'s bytes and compares them. */
  async verify(image: MemoryImage, alternate?: number, call: CallOptions = {}): Promise<VerifyReport> {
    const options: ProgramOptions = { erase: 'none', verify: true };
    const plans = alternate !== undefined ? [planProgram({ image, info: this.info, alternate, options })] : planImage(image, this.info, options);
    return this.verifyPlans(plans, call);
  }

  /** Reads back each plan's verify ranges and compares them with its expected bytes (one 'verify' phase). */
  async verifyPlans(plans: readonly ProgramPlan[], call: CallOptions = {}): Promise<VerifyReport> {
    const reports: VerifyReport[] = [];
    const total = plans.reduce((n, p) => n + totalLength(p.verifyRanges), 0);
    await phaseOf(this.context, 'verify', total, call.signal, async (run) => {
      for (const plan of plans) reports.push(await verifyPlan(this.context, plan, run, undefined, call.signal));
    });
    return mergeReports(reports);
  }

  /** Reads a range of one region into an image (a backup). */
  async read(alternate: number, range: AddressRange, call: CallOptions = {}): Promise<MemoryImage> {
    const region = regionOf(this.info, alternate);
    const bounds = regionRange(region);
    if (range.end <= range.start || range.start < bounds.start || range.end > bounds.end) {
      throw new DfuError({
        kind: 'invalid-argument',
        argument: 'range',
        reason: `[${formatAddress(range.start)}, ${formatAddress(range.end)}) is not inside ${region.name} [${formatAddress(bounds.start)}, ${formatAddress(bounds.end)})`,
      });
    }
    let image = MemoryImage.empty;
    await phaseOf(this.context, 'read', rangeLength(range), call.signal, async (run) => {
      image = await readRange(this.context, alternate, range, run, call.signal);
    });
    return image;
  }

  async eraseSectors(alternate: number, sectors: readonly (Sector | number)[], call: CallOptions = {}): Promise<void> {
    const region = regionOf(this.info, alternate);
    const resolved = sectors.map((s) => {
      const sector = typeof s === 'number' ? sectorByIndex(region, s) : s;
      if (!sector) throw new DfuError({ kind: 'invalid-argument', argument: 'sector', reason: `${region.name} has no sector ${typeof s === 'number' ? s : s.index}` });
      if (!sector.segment.erasable) throw new DfuError({ kind: 'not-erasable', address: sector.start, region: region.name });
      return sector;
    });
    const total = resolved.reduce((n, s) => n + (s.end - s.start), 0);
    await phaseOf(this.context, 'erase', total, call.signal, async (run) => {
      for (const sector of resolved) {
        checkCancelled(this.context, call.signal, 'erase');
        await eraseSector(this.context, alternate, region, sector);
        this.context.phases.progress(run, sector.end - sector.start);
      }
    });
  }

  /** Erases every sector the range overlaps (whole sectors: say so in the UI). */
  async eraseRange(alternate: number, range: AddressRange, call: CallOptions = {}): Promise<Sector[]> {
    const region = regionOf(this.info, alternate);
    const sectors = sectorsIn(region, range);
    const bounds = regionRange(region);
    if (sectors.length === 0 || range.start < bounds.start || range.end > bounds.end) {
      throw new DfuError({ kind: 'not-erasable', address: range.start, region: region.name });
    }
    await this.eraseSectors(alternate, sectors, call);
    return sectors;
  }

  /** A DfuSe mass erase: for the main flash only (it has no address; massErase.ts). */
  async massErase(alternate = 0, call: CallOptions = {}): Promise<void> {
    checkMainFlash(this.info, alternate);
    const region = regionOf(this.info, alternate);
    const erasable = region.segments.filter((s) => s.erasable);
    if (erasable.length === 0) throw new DfuError({ kind: 'not-erasable', address: regionRange(region).start, region: region.name });
    const bytes = erasable.reduce((n, s) => n + rangeLength(s), 0);
    await phaseOf(this.context, 'erase', bytes, call.signal, async (run) => {
      await massErase(this.context, alternate, bytes);
      this.context.phases.progress(run, bytes);
    });
  }

  /** The main option-byte block (the one holding RDP). */
  async readOptionBytes(call: CallOptions = {}): Promise<DecodedOptionBytes> {
    const blocks = await this.readAllOptionBytes(call);
    return blocks.find((b) => b.hasRdp) ?? blocks[0]!;
  }

  /** Every option-byte block of the "Option Bytes" alt (two on F42x/F43x and G47x/L47x). */
  async readAllOptionBytes(call: CallOptions = {}): Promise<DecodedOptionBytes[]> {
    const { alternate, region } = optionBytesRegion(this.info);
    const total = region.segments.reduce((n, s) => n + rangeLength(s), 0);
    const decoded: DecodedOptionBytes[] = [];
    await phaseOf(this.context, 'option-bytes', total, call.signal, async (run) => {
      for (const segment of region.segments) {
        const image = await readRange(this.context, alternate, segment, run, call.signal);
        decoded.push(decodeOptionBytes(this.info.family, segment.start, image.read(segment, 0xff)));
      }
    });
    return decoded;
  }

  /**
   * Writes one option-byte block (default: the first block of the alt). AN2662: the device runs
   * the change and resets itself: the device leaving the bus is success ('reset', the session is
   * closed); a STALL or an I/O error alone is not (an error when the device never leaves); newer
   * bootloaders answer with a status instead ('no-reset': the change applies at the next reset).
   * Bytes that set RDP level 2 need the 'permanent-lock' confirmation.
   */
  async writeOptionBytes(raw: Uint8Array, address?: number, call: CallOptions = {}): Promise<ResetOutcome> {
    const { alternate, region } = optionBytesRegion(this.info);
    const segment = address === undefined ? region.segments[0]! : region.segments.find((s) => s.start === address);
    if (!segment || !segment.writable) {
      throw new DfuError({ kind: 'not-writable', address: address ?? regionRange(region).start, region: region.name });
    }
    if (raw.length !== rangeLength(segment)) {
      throw new DfuError({ kind: 'option-bytes', reason: `the block at ${formatAddress(segment.start)} is ${rangeLength(segment)} bytes; got ${raw.length}` });
    }
    if (decodeOptionBytes(this.info.family, segment.start, raw).rdpLevel === 2 && !(call.confirmed ?? []).includes('permanent-lock')) {
      throw new DfuError({
        kind: 'confirmation-required',
        action: 'permanent-lock',
        reason: 'these option bytes set read protection level 2, which disables debug and the DFU bootloader for good',
      });
    }
    checkCancelled(this.context, call.signal, 'option-byte write');
    let outcome: ResetOutcome = 'reset';
    await phaseOf(this.context, 'option-bytes', raw.length, undefined, async (run) => {
      outcome = await writeOptionBytesNow(this.context, alternate, segment, raw);
      this.context.phases.progress(run, raw.length);
    });
    return outcome;
  }

  /**
   * Read Unprotect (0x92): removes RDP level 1, which mass-erases the flash and resets the chip
   * (AN3156 §6.5). Requires the explicit confirmation. 'reset': the device left the bus and the
   * session is closed; 'no-reset': it answered with a status and stays (the change applies at the
   * next reset).
   */
  async readUnprotect(confirm: { readonly iUnderstandTheFlashIsErased: true }): Promise<ResetOutcome> {
    if ((confirm as { iUnderstandTheFlashIsErased?: unknown } | undefined)?.iUnderstandTheFlashIsErased !== true) {
      throw new DfuError({ kind: 'confirmation-required', action: 'read-unprotect', reason: 'read unprotect erases all flash; pass { iUnderstandTheFlashIsErased: true }' });
    }
    let outcome: ResetOutcome = 'reset';
    await phaseOf(this.context, 'erase', 0, undefined, async () => {
      outcome = await readUnprotectNow(this.context);
    });
    return outcome;
  }

  /**
   * Leaves DFU and starts the application at `address` (default: the start of internal flash).
   * A failed or missing GETSTATUS afterwards is success (H7, GD32; reference §2.6).
   */
  async leave(address?: number, call: CallOptions = {}): Promise<void> {
    await phaseOf(this.context, 'leave', 0, call.signal, () => leaveNow(this.context, address));
  }

  async close(): Promise<void> {
    await this.context.link.close();
  }
}
