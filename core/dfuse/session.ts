// DfuseSession: executes plans, reads, erases, option-byte and leave requests over one opened
// device. Sequencing only: what to erase and write is decided by plan.ts, how long to wait by
// poll.ts. Every step is logged, every DNLOAD's status is checked, and errors leave the device in
// dfuIDLE where it can still answer.
import { formatAddress, formatHex4, formatSize, formatUsbId, transferRate } from '../format.js';
import { familyFacts, quirksFor } from '../devices/stm32.js';
import { abort, dnload, getStatus, recoverToIdle, transferFailureOf, upload } from '../dfu/requests.js';
import { DfuState, DfuStatus, DFUSE_FIRST_DATA_BLOCK, type DfuStatusReply } from '../dfu/spec.js';
import { DfuError, describe as describeError, stateName, statusName, type ConfirmationKind, type DfuErrorInfo } from '../errors.js';
import { diffImages, type VerifyReport } from '../image/diff.js';
import { MemoryImage, mergeRanges, rangeLength, totalLength, type AddressRange, type Block } from '../image/memoryImage.js';
import { describeDevice, type DeviceInfo } from '../usb/descriptors.js';
import type { Clock, DfuTransport, OpenedDevice } from '../usb/transport.js';
import { describeCommand, encodeCommand, type DfuseCommand } from './commands.js';
import { regionRange, sectorAt, sectorByIndex, sectorsIn, segmentAt, type MemoryRegion, type Sector } from './memoryLayout.js';
import { decodeOptionBytes, type DecodedOptionBytes } from './optionBytes.js';
import { planImage, planProgram, type ProgramOptions, type ProgramPlan } from './plan.js';
import { mainFlashOf, optionBytesAlternateOf } from './regionRole.js';
import { BusyPoller, type Operation, type PollingStrategy, type WaitOutcome } from './poll.js';

export type SessionPhase = 'connect' | 'read' | 'erase' | 'write' | 'verify' | 'leave' | 'option-bytes';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Events, in this order for each call: for every phase it runs, exactly one
 * `{type:'phase', status:'start'}`, then zero or more `progress` events whose `done` never
 * decreases and whose last `done` equals `total` (bytes), then exactly one `finish` — or one
 * `failed` when an error ends the phase, after which the call rejects and emits nothing more.
 * Phases never overlap; program() runs read (when needed), erase, write, verify, leave in that
 * order, each once for all regions. `log` events may come at any time.
 */
export type SessionEvent =
  | {
      readonly type: 'phase';
      readonly phase: SessionPhase;
      readonly status: 'start' | 'finish' | 'failed';
      /** Bytes this phase covers (start), or handled (finish). */
      readonly bytes: number;
      /** Set on finish and failed. */
      readonly elapsedMs?: number;
      readonly error?: DfuErrorInfo;
    }
  | {
      readonly type: 'progress';
      readonly phase: SessionPhase;
      readonly done: number;
      readonly total: number;
      readonly elapsedMs: number;
      readonly bytesPerSecond: number;
    }
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string; readonly data?: Readonly<Record<string, unknown>> };

export interface SessionStrategy {
  /** Default 'adaptive'; 'reported' sleeps every bwPollTimeout like dfu-util 0.11 (benchmarks). */
  readonly polling?: PollingStrategy;
  /**
   * 'per-run' (default): one set-address per run of consecutive full chunks, then block numbers
   * 2, 3, 4... (Betaflight; address = pointer + (n-2) x wTransferSize, AN3156 §6.3.2).
   * 'per-chunk': set-address before every chunk, always block 2 (dfu-util, webdfu, pydfu).
   */
  readonly addressing?: 'per-run' | 'per-chunk';
}

export interface SessionOptions {
  readonly clock: Clock;
  readonly onEvent?: (event: SessionEvent) => void;
  /** Cancels the current and every later call at the next safe point. */
  readonly signal?: AbortSignal;
  readonly strategy?: SessionStrategy;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /**
   * The confirmations the user gave for this call (core/jobs/confirmations.ts). The session checks
   * the irreversible ones itself, whoever calls it: an OTP plan needs 'write-otp', option bytes
   * that set RDP level 2 need 'permanent-lock'.
   */
  readonly confirmed?: readonly ConfirmationKind[];
}

export interface PhaseTiming {
  readonly phase: SessionPhase;
  readonly elapsedMs: number;
  readonly bytes: number;
}

export interface ProgramResult {
  readonly plans: readonly ProgramPlan[];
  /** Merged over all plans; absent when verification was off. Not throwing on mismatch: check isMatch. */
  readonly verify?: VerifyReport;
  readonly verifyByPlan: readonly VerifyReport[];
  readonly timings: readonly PhaseTiming[];
  readonly bytesWritten: number;
  readonly sectorsErased: number;
  readonly chunksWritten: number;
  readonly controlTransfers: number;
  readonly elapsedMs: number;
  readonly hasLeft: boolean;
}

export interface SessionStats {
  controlTransfers: number;
  bytesOut: number;
  bytesIn: number;
  sleptMs: number;
}

/** Counts every control transfer, for logs and benchmarks. */
class CountingTransport implements DfuTransport {
  constructor(
    private readonly inner: DfuTransport,
    private readonly stats: SessionStats,
  ) {}

  async controlIn(request: number, value: number, length: number): Promise<Uint8Array> {
    this.stats.controlTransfers++;
    const data = await this.inner.controlIn(request, value, length);
    this.stats.bytesIn += data.length;
    return data;
  }

  controlOut(request: number, value: number, data?: Uint8Array): Promise<number> {
    this.stats.controlTransfers++;
    this.stats.bytesOut += data?.length ?? 0;
    return this.inner.controlOut(request, value, data);
  }

  selectAlternate(alternate: number): Promise<void> {
    return this.inner.selectAlternate(alternate);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Progress bookkeeping for one phase. */
class PhaseRun {
  readonly startedAt: number;
  done = 0;
  isOpen = true;

  constructor(
    readonly phase: SessionPhase,
    readonly total: number,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  get elapsedMs(): number {
    return this.clock.now() - this.startedAt;
  }
}

const READ_BLOCKS_PER_ADDRESS = 0x4000; // re-send the address long before wBlockNum (16 bits) wraps

export class DfuseSession {
  readonly info: DeviceInfo;
  readonly stats: SessionStats;
  private readonly transport: DfuTransport;
  private readonly clock: Clock;
  private readonly poller: BusyPoller;
  private readonly strategy: Required<SessionStrategy>;
  private readonly onEvent: (event: SessionEvent) => void;
  private readonly sessionSignal: AbortSignal | undefined;
  private selectedAlternate = -1;
  /**
   * True while the device sits in dfuDNLOAD-IDLE after our last DNLOAD. Every phase ends with an
   * ABORT in that case, so each operation hands the device back in dfuIDLE as dfu-util does
   * (dfu_abort_to_idle; reference §2.8 item 3) and a later session can select an alt setting.
   */
  private isInDownload = false;
  private isGone = false;
  /**
   * Device bytes this session has read back and not changed since (reads, verification). Nothing
   * else can write the device while we hold it, so a differential re-flash in the same session
   * needs no new read: after a verified flash the whole image is known.
   */
  private known: MemoryImage = MemoryImage.empty;

  /**
   * The device bytes described above (immutable). Right after a verification it holds what was
   * read back, so the app's diff viewer can show the whole mismatch without reading again.
   */
  get knownContent(): MemoryImage {
    return this.known;
  }

  private constructor(info: DeviceInfo, options: SessionOptions, stats: SessionStats, transport: DfuTransport) {
    this.info = info;
    this.stats = stats;
    this.transport = transport;
    this.clock = options.clock;
    this.onEvent = options.onEvent ?? (() => undefined);
    this.sessionSignal = options.signal;
    this.strategy = { polling: options.strategy?.polling ?? 'adaptive', addressing: options.strategy?.addressing ?? 'per-run' };
    this.poller = new BusyPoller({
      transport,
      clock: options.clock,
      family: info.family,
      quirks: quirksFor({ vendorId: info.vendorId, productId: info.productId, bcdDevice: info.bcdDevice, family: info.family }),
      strategy: this.strategy.polling,
      log: (level, message, data) => this.log(level, message, data),
    });
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
    const session = new DfuseSession(info, options, stats, new CountingTransport(opened.transport, stats));
    await session.phase('connect', 0, undefined, async () => {
      session.log('info', `${info.product ?? 'DFU device'} ${formatUsbId(info.vendorId, info.productId)} bcdDevice ${formatHex4(info.bcdDevice)}: family ${info.family} (${info.familyReason})`, {
        transferSize: info.functional.transferSize,
        alternates: info.alternates.map((a) => a.descriptor),
        quirks: info.quirks,
      });
      for (const warning of info.warnings) session.log('warn', warning);
      for (const note of info.notes ?? []) session.log('info', note);
      const reply = await recoverToIdle(session.transport, {
        clock: session.clock,
        during: 'connect',
        onStep: (step) => {
          if (step.action !== 'none') {
            session.log('info', `connect: device in ${stateName(step.state)} (${statusName(step.status)}): ${step.action}`, { ...step });
          }
        },
      });
      session.log('debug', `connect: ${stateName(reply.state)}, ${statusName(reply.status)}`);
      await session.selectAlternate(0, 'connect');
    });
    return session;
  }

  /** Plans (one plan per region the image touches, or the given alternate) and executes. */
  async program(image: MemoryImage, options: ProgramOptions & { readonly alternate?: number }, call: CallOptions = {}): Promise<ProgramResult> {
    const started = this.clock.now();
    const transfersBefore = this.stats.controlTransfers;
    const plan = (deviceContent?: MemoryImage): ProgramPlan[] =>
      options.alternate !== undefined
        ? [planProgram({ image, info: this.info, alternate: options.alternate, options, deviceContent })]
        : planImage(image, this.info, options, deviceContent);
    const needsContent = options.differential === true || options.preserve === true;
    let deviceContent = needsContent && !this.known.isEmpty ? this.known : undefined;
    let plans = plan(deviceContent);
    const timings: PhaseTiming[] = [];
    const toRead = plans.flatMap((p) => p.readRanges.map((range) => ({ alternate: p.alternate, range })));
    if (toRead.length > 0) {
      const total = toRead.reduce((n, r) => n + rangeLength(r.range), 0);
      timings.push(
        await this.phase('read', total, call.signal, async (run) => {
          for (const { alternate, range } of toRead) await this.readRange(alternate, range, run, call.signal);
        }),
      );
      deviceContent = this.known;
      plans = plan(deviceContent);
    } else if (deviceContent) {
      this.log('info', 'device content known from earlier reads in this session: nothing to read first');
    }
    const result = await this.runPlans(plans, call, deviceContent, timings);
    const hasLeft = await this.leaveIfVerified(options.leave === true, result.verify, timings, call);
    return {
      ...result,
      timings,
      controlTransfers: this.stats.controlTransfers - transfersBefore,
      elapsedMs: this.clock.now() - started,
      hasLeft,
    };
  }

  /** Executes ready plans (from planProgram/planImage with any device content already given). */
  async execute(plans: ProgramPlan | readonly ProgramPlan[], call: CallOptions = {}): Promise<ProgramResult> {
    const started = this.clock.now();
    const transfersBefore = this.stats.controlTransfers;
    const list = Array.isArray(plans) ? (plans as readonly ProgramPlan[]) : [plans as ProgramPlan];
    const timings: PhaseTiming[] = [];
    const result = await this.runPlans(list, call, undefined, timings);
    const hasLeft = await this.leaveIfVerified(list.some((p) => p.options.leave), result.verify, timings, call);
    return { ...result, timings, controlTransfers: this.stats.controlTransfers - transfersBefore, elapsedMs: this.clock.now() - started, hasLeft };
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
    await this.phase('verify', total, call.signal, async (run) => {
      for (const plan of plans) reports.push(await this.verifyPlan(plan, run, undefined, call.signal));
    });
    return mergeReports(reports);
  }

  /** Reads a range of one region into an image (a backup). */
  async read(alternate: number, range: AddressRange, call: CallOptions = {}): Promise<MemoryImage> {
    const region = this.regionOf(alternate);
    const bounds = regionRange(region);
    if (range.end <= range.start || range.start < bounds.start || range.end > bounds.end) {
      throw new DfuError({
        kind: 'invalid-argument',
        argument: 'range',
        reason: `[${formatAddress(range.start)}, ${formatAddress(range.end)}) is not inside ${region.name} [${formatAddress(bounds.start)}, ${formatAddress(bounds.end)})`,
      });
    }
    let image = MemoryImage.empty;
    await this.phase('read', rangeLength(range), call.signal, async (run) => {
      image = await this.readRange(alternate, range, run, call.signal);
    });
    return image;
  }

  async eraseSectors(alternate: number, sectors: readonly (Sector | number)[], call: CallOptions = {}): Promise<void> {
    const region = this.regionOf(alternate);
    const resolved = sectors.map((s) => {
      const sector = typeof s === 'number' ? sectorByIndex(region, s) : s;
      if (!sector) throw new DfuError({ kind: 'invalid-argument', argument: 'sector', reason: `${region.name} has no sector ${typeof s === 'number' ? s : s.index}` });
      if (!sector.segment.erasable) throw new DfuError({ kind: 'not-erasable', address: sector.start, region: region.name });
      return sector;
    });
    const total = resolved.reduce((n, s) => n + (s.end - s.start), 0);
    await this.phase('erase', total, call.signal, async (run) => {
      for (const sector of resolved) {
        this.checkCancelled(call.signal, 'erase');
        await this.eraseSector(alternate, region, sector);
        this.progress(run, sector.end - sector.start);
      }
    });
  }

  /** Erases every sector the range overlaps (whole sectors: say so in the UI). */
  async eraseRange(alternate: number, range: AddressRange, call: CallOptions = {}): Promise<Sector[]> {
    const region = this.regionOf(alternate);
    const sectors = sectorsIn(region, range);
    const bounds = regionRange(region);
    if (sectors.length === 0 || range.start < bounds.start || range.end > bounds.end) {
      throw new DfuError({ kind: 'not-erasable', address: range.start, region: region.name });
    }
    await this.eraseSectors(alternate, sectors, call);
    return sectors;
  }

  async massErase(alternate = 0, call: CallOptions = {}): Promise<void> {
    this.checkMainFlash(alternate);
    const region = this.regionOf(alternate);
    const erasable = region.segments.filter((s) => s.erasable);
    if (erasable.length === 0) throw new DfuError({ kind: 'not-erasable', address: regionRange(region).start, region: region.name });
    const bytes = erasable.reduce((n, s) => n + rangeLength(s), 0);
    await this.phase('erase', bytes, call.signal, async (run) => {
      await this.massEraseNow(alternate, bytes);
      this.progress(run, bytes);
    });
  }

  /** The main option-byte block (the one holding RDP). */
  async readOptionBytes(call: CallOptions = {}): Promise<DecodedOptionBytes> {
    const blocks = await this.readAllOptionBytes(call);
    return blocks.find((b) => b.hasRdp) ?? blocks[0]!;
  }

  /** Every option-byte block of the "Option Bytes" alt (two on F42x/F43x and G47x/L47x). */
  async readAllOptionBytes(call: CallOptions = {}): Promise<DecodedOptionBytes[]> {
    const { alternate, region } = this.optionBytesRegion();
    const total = region.segments.reduce((n, s) => n + rangeLength(s), 0);
    const decoded: DecodedOptionBytes[] = [];
    await this.phase('option-bytes', total, call.signal, async (run) => {
      for (const segment of region.segments) {
        const image = await this.readRange(alternate, segment, run, call.signal);
        decoded.push(decodeOptionBytes(this.info.family, segment.start, image.read(segment, 0xff)));
      }
    });
    return decoded;
  }

  /**
   * Writes one option-byte block (default: the first block of the alt). AN2662: the device runs
   * the change and resets itself, so a disconnect or a missing status afterwards is success; the
   * session is closed after it.
   */
  async writeOptionBytes(raw: Uint8Array, address?: number, call: CallOptions = {}): Promise<void> {
    const { alternate, region } = this.optionBytesRegion();
    const segment = address === undefined ? region.segments[0]! : region.segments.find((s) => s.start === address);
    if (!segment || !segment.writable) {
      throw new DfuError({ kind: 'not-writable', address: address ?? regionRange(region).start, region: region.name });
    }
    if (raw.length !== rangeLength(segment)) {
      throw new DfuError({
        kind: 'option-bytes',
        reason: `the block at ${formatAddress(segment.start)} is ${rangeLength(segment)} bytes; got ${raw.length}`,
      });
    }
    if (decodeOptionBytes(this.info.family, segment.start, raw).rdpLevel === 2 && !(call.confirmed ?? []).includes('permanent-lock')) {
      throw new DfuError({
        kind: 'confirmation-required',
        action: 'permanent-lock',
        reason: 'these option bytes set read protection level 2, which disables debug and the DFU bootloader for good',
      });
    }
    this.checkCancelled(call.signal, 'option-byte write');
    await this.phase('option-bytes', raw.length, undefined, async (run) => {
      await this.ensureIdle(alternate, 'option-byte write');
      await this.command({ kind: 'set-address', address: segment.start }, 'set-address', `option-byte write at ${formatAddress(segment.start)}`);
      const during = `option-byte write at ${formatAddress(segment.start)}`;
      this.log('info', `DNLOAD block ${DFUSE_FIRST_DATA_BLOCK}: ${raw.length} option bytes at ${formatAddress(segment.start)}; the device resets afterwards`);
      await dnload(this.transport, DFUSE_FIRST_DATA_BLOCK, raw, during);
      await this.expectResetAfter(during, 'option-bytes', raw.length);
      this.progress(run, raw.length);
    });
  }

  /**
   * Read Unprotect (0x92): removes RDP level 1, which mass-erases the flash and resets the chip
   * (AN3156 §6.5). Requires the explicit confirmation; the session is closed afterwards.
   */
  async readUnprotect(confirm: { readonly iUnderstandTheFlashIsErased: true }): Promise<void> {
    if ((confirm as { iUnderstandTheFlashIsErased?: unknown } | undefined)?.iUnderstandTheFlashIsErased !== true) {
      throw new DfuError({ kind: 'confirmation-required', action: 'read-unprotect', reason: 'read unprotect erases all flash; pass { iUnderstandTheFlashIsErased: true }' });
    }
    await this.phase('erase', 0, undefined, async () => {
      await this.ensureIdle(0, 'read unprotect');
      const during = 'read unprotect';
      this.log('warn', 'DNLOAD block 0: read unprotect (mass erase and reset)');
      await dnload(this.transport, 0, encodeCommand({ kind: 'read-unprotect' }), during);
      await this.expectResetAfter(during, 'read-unprotect', 0);
    });
  }

  /**
   * Leaves DFU and starts the application at `address` (default: the start of internal flash).
   * A failed or missing GETSTATUS afterwards is success (H7, GD32; reference §2.6).
   */
  async leave(address?: number, call: CallOptions = {}): Promise<void> {
    await this.phase('leave', 0, call.signal, () => this.leaveNow(address));
  }

  async close(): Promise<void> {
    if (this.isGone) return;
    this.isGone = true;
    try {
      await this.transport.close();
    } catch (error) {
      this.log('debug', 'close failed', { error: String(error) });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Plan execution

  /**
   * Leave runs only after every phase succeeded (a failure has thrown before this point) and, when
   * verifying, the verification matched: starting firmware known to be wrong helps nobody.
   */
  private async leaveIfVerified(isWanted: boolean, verify: VerifyReport | undefined, timings: PhaseTiming[], call: CallOptions): Promise<boolean> {
    if (!isWanted) return false;
    if (verify && !verify.isMatch) {
      this.log('warn', 'leave skipped: the verification failed, so the device stays in DFU mode');
      return false;
    }
    timings.push(await this.phase('leave', 0, call.signal, () => this.leaveNow(undefined)));
    return true;
  }

  private async runPlans(
    plans: readonly ProgramPlan[],
    call: CallOptions,
    deviceContent: MemoryImage | undefined,
    timings: PhaseTiming[],
  ): Promise<Omit<ProgramResult, 'timings' | 'controlTransfers' | 'elapsedMs' | 'hasLeft'>> {
    for (const plan of plans) this.enforce(plan, call.confirmed ?? []);
    for (const plan of plans) {
      for (const warning of plan.warnings) this.log('warn', `${plan.region}: ${warning.message}`, { kind: warning.kind });
    }
    let sectorsErased = 0;
    const eraseBytes = plans.reduce((n, p) => n + totalLength(p.sectors), 0);
    if (plans.some((p) => p.eraseMode === 'mass' || p.sectors.length > 0)) {
      timings.push(
        await this.phase('erase', eraseBytes, call.signal, async (run) => {
          for (const plan of plans) {
            const region = this.regionOf(plan.alternate);
            if (plan.eraseMode === 'mass') {
              this.checkCancelled(call.signal, 'erase');
              await this.massEraseNow(plan.alternate, totalLength(plan.sectors));
              sectorsErased += plan.sectors.length;
              this.progress(run, totalLength(plan.sectors));
              continue;
            }
            for (const sector of plan.sectors) {
              this.checkCancelled(call.signal, 'erase');
              await this.eraseSector(plan.alternate, region, sector);
              sectorsErased++;
              this.progress(run, sector.end - sector.start);
            }
          }
        }),
      );
    }
    let chunksWritten = 0;
    const writeBytes = plans.reduce((n, p) => n + p.bytesToWrite, 0);
    if (writeBytes > 0) {
      timings.push(
        await this.phase('write', writeBytes, call.signal, async (run) => {
          for (const plan of plans) chunksWritten += await this.writePlan(plan, run, call.signal);
        }),
      );
    }
    const verifyByPlan: VerifyReport[] = [];
    const verifyBytes = plans.reduce((n, p) => n + totalLength(p.verifyRanges), 0);
    if (verifyBytes > 0) {
      timings.push(
        await this.phase('verify', verifyBytes, call.signal, async (run) => {
          for (const plan of plans) if (plan.verifyRanges.length) verifyByPlan.push(await this.verifyPlan(plan, run, deviceContent, call.signal));
        }),
      );
    }
    const verify = verifyByPlan.length ? mergeReports(verifyByPlan) : undefined;
    if (verify && !verify.isMatch) {
      this.log('error', `verification failed: ${verify.mismatchCount} bytes differ, first at ${formatAddress(verify.firstMismatch ?? 0)}: ${verify.diagnosis.message}`, {
        diagnosis: verify.diagnosis.kind,
      });
    }
    return { plans, verify, verifyByPlan, bytesWritten: writeBytes, sectorsErased, chunksWritten };
  }

  /**
   * The executor's own guard, independent of the planner: every chunk lies in writable segments
   * of its region, and a chunk in an erasable segment is in a sector this plan erases unless the
   * user chose erase 'none' (reference §7.3: never write un-erased flash by accident).
   */
  private enforce(plan: ProgramPlan, confirmed: readonly ConfirmationKind[]): void {
    const region = this.regionOf(plan.alternate);
    const alt = this.info.alternates.find((a) => a.alternate === plan.alternate)!;
    if (alt.role === 'option-bytes' || alt.role === 'device-feature' || alt.role === 'system') {
      throw new DfuError({ kind: 'not-writable', address: regionRange(region).start, region: region.name, detail: 'refused by the executor: not firmware memory' });
    }
    if (alt.role === 'otp' && plan.chunks.length > 0 && !confirmed.includes('write-otp')) {
      throw new DfuError({ kind: 'confirmation-required', action: 'write-otp', reason: `${region.name} is one-time programmable: every byte written stays for good` });
    }
    if (plan.eraseMode === 'mass') this.checkMainFlash(plan.alternate);
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

  private async writePlan(plan: ProgramPlan, run: PhaseRun, signal: AbortSignal | undefined): Promise<number> {
    const size = plan.transferSize;
    const perRun = this.strategy.addressing === 'per-run' && this.info.functional.source !== 'default' && size === this.info.functional.transferSize;
    let written = 0;
    let block = 0;
    let nextAddress = -1;
    for (let i = 0; i < plan.chunks.length; i++) {
      const chunk = plan.chunks[i]!;
      this.checkCancelled(signal, 'write');
      const startsRun = !perRun || chunk.address !== nextAddress || block === 0 || block >= 0xffff;
      if (startsRun) {
        await this.ensureSelected(plan.alternate, `write at ${formatAddress(chunk.address)}`);
        await this.command({ kind: 'set-address', address: chunk.address }, 'set-address', `write at ${formatAddress(chunk.address)}`);
        block = DFUSE_FIRST_DATA_BLOCK;
      }
      const during = `write of ${chunk.data.length} bytes at ${formatAddress(chunk.address)}`;
      this.log('debug', `DNLOAD block ${block}: ${chunk.data.length} bytes at ${formatAddress(chunk.address)}`);
      this.forget({ start: chunk.address, end: chunk.address + chunk.data.length });
      await dnload(this.transport, block, chunk.data, during);
      const outcome = await this.poller.afterDnload({ kind: 'write', bytes: chunk.data.length, during });
      this.checkReply(outcome, [DfuState.dfuDNLOAD_IDLE], during);
      this.isInDownload = true;
      this.logWait(during, outcome);
      written++;
      // Only full chunks continue a run: the device computes pointer + (n-2) x wTransferSize.
      nextAddress = chunk.data.length === size ? chunk.address + size : -1;
      block = nextAddress < 0 ? 0 : block + 1;
      this.progress(run, chunk.data.length);
    }
    return written;
  }

  private async verifyPlan(plan: ProgramPlan, run: PhaseRun, previous: MemoryImage | undefined, signal: AbortSignal | undefined): Promise<VerifyReport> {
    const region = this.regionOf(plan.alternate);
    const blocks: Block[] = [];
    for (const range of plan.verifyRanges) blocks.push(...(await this.readRange(plan.alternate, range, run, signal)).blocks);
    const actual = MemoryImage.fromBlocks(blocks);
    const expected = MemoryImage.fromBlocks(plan.verifyRanges.flatMap((r) => plan.expected.slice(r).blocks));
    return diffImages(expected, actual, {
      erasedValue: plan.erasedValue,
      previous,
      sectorOf: (address) => sectorAt(region, address)?.index,
      rewriteBehaviour: familyFacts(this.info.family).rewriteBehaviour,
    });
  }

  // ------------------------------------------------------------------------------------------
  // Device operations

  private async eraseSector(alternate: number, region: MemoryRegion, sector: Sector): Promise<void> {
    await this.ensureSelected(alternate, `erase of sector ${sector.index}`);
    const during = `erase of sector ${sector.index} at ${formatAddress(sector.start)} (${region.name})`;
    this.forget(sector);
    // Page start, as webdfu and Betaflight send it (AN3156: any address inside the page works).
    const outcome = await this.command({ kind: 'erase-page', address: sector.start }, 'erase', during, sector.end - sector.start);
    if (outcome.recoveredFromStuckBusy) this.log('warn', `${during}: device was stuck in dfuDNBUSY; released with CLRSTATUS (H7 quirk); verification will confirm the erase`);
  }

  private async massEraseNow(alternate: number, bytes: number): Promise<void> {
    await this.ensureSelected(alternate, 'mass erase');
    for (const segment of this.regionOf(alternate).segments) if (segment.erasable) this.forget(segment);
    await this.command({ kind: 'mass-erase' }, 'mass-erase', `mass erase of ${this.regionOf(alternate).name} (${formatSize(bytes)})`, bytes);
  }

  /** DNLOAD block 0 with a DfuSe command, then the status sequence; the reply must be OK. */
  private async command(command: DfuseCommand, kind: Operation['kind'], during: string, bytes?: number): Promise<WaitOutcome> {
    this.log('debug', `DNLOAD block 0: ${describeCommand(command)}`, { during });
    await dnload(this.transport, 0, encodeCommand(command), during);
    const outcome = await this.poller.afterDnload({ kind, bytes, during });
    this.checkReply(outcome, [DfuState.dfuDNLOAD_IDLE, ...(outcome.recoveredFromStuckBusy ? [DfuState.dfuIDLE] : [])], during);
    this.isInDownload = outcome.reply.state === DfuState.dfuDNLOAD_IDLE;
    this.logWait(during, outcome);
    return outcome;
  }

  /** Reads `range` with UPLOADs: set address, ABORT to dfuIDLE, blocks 2, 3, ... (AN3156 §6.3.3). */
  private async readRange(alternate: number, range: AddressRange, run: PhaseRun, signal: AbortSignal | undefined): Promise<MemoryImage> {
    const size = this.info.functional.transferSize;
    const perBlockAddress = this.info.functional.source === 'default';
    const out = new Uint8Array(rangeLength(range));
    let offset = 0;
    let block = 0;
    while (offset < out.length) {
      this.checkCancelled(signal, 'read');
      const address = range.start + offset;
      if (block === 0 || perBlockAddress || block - DFUSE_FIRST_DATA_BLOCK >= READ_BLOCKS_PER_ADDRESS) {
        await this.ensureIdle(alternate, `read at ${formatAddress(address)}`);
        await this.command({ kind: 'set-address', address }, 'set-address', `read at ${formatAddress(address)}`);
        // AN3156: an UPLOAD must start from dfuIDLE; dfu-util's dfu_abort_to_idle after set-address.
        await this.abortToIdle(`read at ${formatAddress(address)}`);
        block = DFUSE_FIRST_DATA_BLOCK;
      }
      const length = Math.min(size, out.length - offset);
      const during = `read of ${length} bytes at ${formatAddress(address)}`;
      let data: Uint8Array;
      try {
        data = await upload(this.transport, block, length, during);
      } catch (error) {
        throw await this.explain(error, during);
      }
      if (data.length < length) {
        await this.abortQuietly(during);
        throw new DfuError({ kind: 'transport', operation: during, detail: `the device returned ${data.length} bytes` });
      }
      out.set(data.subarray(0, length), offset);
      offset += length;
      block++;
      this.progress(run, length);
    }
    // Leave dfuUPLOAD-IDLE so the next request starts from dfuIDLE.
    await this.abortToIdle(`read at ${formatAddress(range.start)}`);
    const image = MemoryImage.fromBytes(range.start, out);
    this.known = this.known.without(range).join(image);
    return image;
  }

  private async leaveNow(address: number | undefined): Promise<void> {
    const flash = mainFlashOf(this.info) ?? this.info.alternates.find((a) => a.layout);
    const target = address ?? (flash?.layout ? regionRange(flash.layout.region).start : 0x08000000);
    await this.ensureIdle(flash?.alternate ?? 0, 'leave');
    await this.command({ kind: 'set-address', address: target }, 'set-address', `leave to ${formatAddress(target)}`);
    const during = `leave to ${formatAddress(target)}`;
    // wValue 0 as webdfu, Betaflight and pydfu send it (dfu-util uses 2; ST BLs accept both).
    this.log('info', `DNLOAD block 0: leave (zero length), jump to ${formatAddress(target)}`);
    try {
      await dnload(this.transport, 0, new Uint8Array(0), during);
      const reply = await getStatus(this.transport, during);
      this.log('debug', `leave: ${stateName(reply.state)} ${statusName(reply.status)}`);
      if (reply.state === DfuState.dfuERROR) {
        throw new DfuError({ kind: 'device-status', status: reply.status, state: reply.state, during });
      }
    } catch (error) {
      if (error instanceof DfuError && error.info.kind === 'device-status') throw error;
      // Reference §2.6: H7 and GD32 leave without answering; that is success.
      this.log('info', `leave: no status after the leave request (${transferFailureOf(error) ?? 'error'}): counted as success`);
    }
    this.isGone = true;
  }

  /**
   * After an option-byte write or read unprotect: the first GETSTATUS starts the operation
   * (dfuDNBUSY), then the device resets. Any transfer failure from there on is the reset.
   */
  private async expectResetAfter(during: string, kind: Operation['kind'], bytes: number): Promise<void> {
    let reply: DfuStatusReply;
    try {
      reply = await getStatus(this.transport, during);
    } catch (error) {
      this.log('info', `${during}: the device reset before answering (${transferFailureOf(error) ?? 'error'}): counted as success`);
      this.isGone = true;
      return;
    }
    if (reply.state === DfuState.dfuERROR) throw await this.statusError(reply, during);
    if (reply.state === DfuState.dfuDNBUSY) {
      try {
        await this.clock.sleep(Math.min(reply.pollTimeoutMs, 1_000));
        const outcome = await this.poller.afterDnload({ kind, bytes, during });
        if (outcome.reply.state === DfuState.dfuERROR) throw await this.statusError(outcome.reply, during);
        this.log('info', `${during}: done without a reset (${stateName(outcome.reply.state)}); the change applies at the next reset`);
        await this.abortQuietly(during);
        return;
      } catch (error) {
        if (error instanceof DfuError && (error.info.kind === 'device-status' || error.info.kind === 'read-protected')) throw error;
        this.log('info', `${during}: the device reset (${transferFailureOf(error) ?? 'no answer'}): counted as success`);
      }
    }
    this.isGone = true;
  }

  // ------------------------------------------------------------------------------------------
  // State helpers

  private async selectAlternate(alternate: number, during: string): Promise<void> {
    try {
      await this.transport.selectAlternate(alternate);
    } catch (error) {
      throw await this.explain(error, during);
    }
    this.selectedAlternate = alternate;
    this.log('debug', `SET_INTERFACE alt ${alternate}`);
  }

  private async ensureSelected(alternate: number, during: string): Promise<void> {
    if (this.selectedAlternate !== alternate) {
      // SET_INTERFACE from dfuIDLE only: leave DNLOAD-IDLE/UPLOAD-IDLE first.
      await this.toIdle(during);
      await this.selectAlternate(alternate, during);
    }
  }

  private async ensureIdle(alternate: number, during: string): Promise<void> {
    await this.ensureSelected(alternate, during);
    await this.toIdle(during);
  }

  private async toIdle(during: string): Promise<void> {
    const reply = await getStatus(this.transport, during);
    if (reply.state === DfuState.dfuIDLE) {
      this.isInDownload = false;
      return;
    }
    if (reply.state === DfuState.dfuDNLOAD_IDLE || reply.state === DfuState.dfuUPLOAD_IDLE) {
      await this.abortToIdle(during);
      return;
    }
    await recoverToIdle(this.transport, { clock: this.clock, during });
    this.isInDownload = false;
  }

  /** ABORT from dfuDNLOAD-IDLE or dfuUPLOAD-IDLE: the device goes to dfuIDLE (DFU 1.1 §6.1.4). */
  private async abortToIdle(during: string): Promise<void> {
    await abort(this.transport, during);
    this.isInDownload = false;
  }

  private checkReply(outcome: WaitOutcome, expected: readonly number[], during: string): void {
    const { reply } = outcome;
    if (reply.status === DfuStatus.OK && expected.includes(reply.state)) return;
    if (reply.state === DfuState.dfuERROR || reply.status !== DfuStatus.OK) {
      throw this.pendingStatusError(reply, during);
    }
    throw new DfuError({ kind: 'unexpected-state', expected: [...expected], actual: reply.state, during });
  }

  private pendingStatusError(reply: DfuStatusReply, during: string): DfuError {
    // errVENDOR is how ST BLs say "read protection is active" (AN2662/AN3156; fwupd).
    if (reply.status === DfuStatus.errVENDOR) return new DfuError({ kind: 'read-protected', during });
    return new DfuError({ kind: 'device-status', status: reply.status, state: reply.state, during });
  }

  private async statusError(reply: DfuStatusReply, during: string): Promise<DfuError> {
    const error = this.pendingStatusError(reply, during);
    await this.recoverQuietly(during);
    return error;
  }

  /**
   * Turns a failure into the error to throw, after getting the device back to dfuIDLE where
   * possible: a STALLed request usually means dfuERROR with a reason in bStatus.
   */
  private async explain(error: unknown, during: string): Promise<DfuError> {
    const dfuError = error instanceof DfuError ? error : new DfuError({ kind: 'internal', message: String(error) }, { cause: error });
    if (dfuError.info.kind === 'device-gone') {
      this.isGone = true;
      return dfuError;
    }
    if (transferFailureOf(error) === 'stall') {
      try {
        const reply = await getStatus(this.transport, during);
        if (reply.state === DfuState.dfuERROR && reply.status !== DfuStatus.OK) {
          const statusError = this.pendingStatusError(reply, during);
          await this.recoverQuietly(during);
          return statusError;
        }
      } catch {
        // Keep the original error.
      }
    }
    await this.recoverQuietly(during);
    return dfuError;
  }

  private async recoverQuietly(during: string): Promise<void> {
    if (this.isGone) return;
    try {
      await recoverToIdle(this.transport, { clock: this.clock, during: `recovery after ${during}` });
      this.isInDownload = false;
    } catch (error) {
      if (error instanceof DfuError && error.info.kind === 'device-gone') this.isGone = true;
      this.log('warn', `could not bring the device back to dfuIDLE after ${during}`, { error: String(error) });
    }
  }

  private async abortQuietly(during: string): Promise<void> {
    try {
      await this.abortToIdle(during);
    } catch {
      await this.recoverQuietly(during);
    }
  }

  private forget(range: AddressRange): void {
    if (!this.known.isEmpty) this.known = this.known.without(range);
  }

  private checkCancelled(signal: AbortSignal | undefined, during: string): void {
    if (signal?.aborted || this.sessionSignal?.aborted) throw new DfuError({ kind: 'cancelled', during });
  }

  private regionOf(alternate: number): MemoryRegion {
    const alt = this.info.alternates.find((a) => a.alternate === alternate);
    if (!alt?.layout) {
      if (alt?.error) throw new DfuError(alt.error);
      throw new DfuError({ kind: 'invalid-argument', argument: 'alternate', reason: `the device has no memory layout for alt setting ${alternate}` });
    }
    return alt.layout.region;
  }

  /** A DfuSe mass erase has no address: it clears the main flash, so it is sent only for that alt setting (massErase.ts). */
  private checkMainFlash(alternate: number): void {
    const main = mainFlashOf(this.info);
    if (main?.alternate === alternate) return;
    throw new DfuError({
      kind: 'invalid-argument',
      argument: 'erase',
      reason: `a mass erase clears the main flash whatever alt setting is selected; refused for alt ${alternate}${main ? ` (the main flash is alt ${main.alternate})` : ''}`,
    });
  }

  private optionBytesRegion(): { alternate: number; region: MemoryRegion } {
    const alt = optionBytesAlternateOf(this.info);
    if (!alt) throw new DfuError({ kind: 'option-bytes', reason: 'the device has no "Option Bytes" alt setting' });
    return { alternate: alt.alternate, region: alt.layout.region };
  }

  // ------------------------------------------------------------------------------------------
  // Events

  /**
   * Runs one phase with its start/finish events. On success a device left in dfuDNLOAD-IDLE is
   * aborted to dfuIDLE. On failure: the device is brought back to dfuIDLE (unless gone), a
   * 'failed' event is emitted, and the error is rethrown.
   */
  private async phase(phase: SessionPhase, total: number, signal: AbortSignal | undefined, body: (run: PhaseRun) => Promise<void>): Promise<PhaseTiming> {
    if (this.isGone && phase !== 'connect') throw new DfuError({ kind: 'device-gone', during: phase });
    this.checkCancelled(signal, phase);
    const run = new PhaseRun(phase, total, this.clock);
    this.onEvent({ type: 'phase', phase, status: 'start', bytes: total });
    try {
      await body(run);
      if (this.isInDownload && !this.isGone) {
        this.log('debug', `end of ${phase}: ABORT from dfuDNLOAD-IDLE to dfuIDLE`);
        await this.abortToIdle(`end of ${phase}`);
      }
    } catch (caught) {
      let error = caught instanceof DfuError ? caught : new DfuError({ kind: 'internal', message: String(caught) }, { cause: caught });
      if (error.info.kind === 'device-gone') this.isGone = true;
      else if (transferFailureOf(error) === 'stall' || error.info.kind === 'device-status' || error.info.kind === 'read-protected') {
        error = await this.explain(error, error.info.kind === 'transport' ? error.info.operation : phase);
      } else await this.recoverQuietly(phase);
      run.isOpen = false;
      this.log('error', describeError(error.info), { phase });
      this.onEvent({ type: 'phase', phase, status: 'failed', bytes: run.done, elapsedMs: run.elapsedMs, error: error.info });
      throw error;
    }
    run.isOpen = false;
    this.onEvent({ type: 'phase', phase, status: 'finish', bytes: run.done, elapsedMs: run.elapsedMs });
    return { phase, elapsedMs: run.elapsedMs, bytes: run.done };
  }

  private progress(run: PhaseRun, bytes: number): void {
    run.done = Math.min(run.total, run.done + bytes);
    const elapsedMs = run.elapsedMs;
    this.onEvent({ type: 'progress', phase: run.phase, done: run.done, total: run.total, elapsedMs, bytesPerSecond: transferRate(run.done, elapsedMs) });
  }

  private logWait(during: string, outcome: WaitOutcome): void {
    this.stats.sleptMs += outcome.sleptMs;
    this.log('debug', `${during}: ${stateName(outcome.reply.state)} after ${round(outcome.busyMs)} ms`, {
      reportedPollMs: outcome.reportedPollMs,
      busyMs: round(outcome.busyMs),
      sleptMs: round(outcome.sleptMs),
      polls: outcome.polls,
      stalls: outcome.stalls,
      mode: this.poller.mode,
    });
  }

  private log(level: LogLevel, message: string, data?: Record<string, unknown>): void {
    this.onEvent({ type: 'log', level, message, ...(data ? { data } : {}) });
  }
}

function mergeReports(reports: readonly VerifyReport[]): VerifyReport {
  if (reports.length === 1) return reports[0]!;
  const firsts = reports.map((r) => r.firstMismatch).filter((a): a is number => a !== undefined);
  const failing = reports.find((r) => !r.isMatch);
  return {
    isMatch: reports.every((r) => r.isMatch),
    bytesCompared: reports.reduce((n, r) => n + r.bytesCompared, 0),
    mismatchCount: reports.reduce((n, r) => n + r.mismatchCount, 0),
    mismatchRanges: mergeRanges(reports.flatMap((r) => r.mismatchRanges)),
    firstMismatch: firsts.length ? Math.min(...firsts) : undefined,
    sectorsWithMismatch: failing?.sectorsWithMismatch ?? [],
    missingBytes: reports.reduce((n, r) => n + r.missingBytes, 0),
    samples: reports.flatMap((r) => r.samples).slice(0, 8),
    diagnosis: failing?.diagnosis ?? { kind: 'match', message: `all ${reports.reduce((n, r) => n + r.bytesCompared, 0)} bytes match` },
  };
}



function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

