// The link to one opened device: which alt setting is selected, whether the device sits in
// dfuDNLOAD-IDLE after our last DNLOAD, whether it is gone, and the requests that move between
// those states with recovery (SET_INTERFACE, ABORT, a DfuSe command and its status sequence).
// LinkState is a plain value with pure transitions; DeviceLink is the only place that changes it.
import type { Clock } from '../clock.js';
import type { Stm32Family } from '../devices/stm32.js';
import { quirksFor } from '../devices/stm32.js';
import { abort, dnload, getStatus, recoverToIdle, toRequestError, transferFailureOf } from '../dfu/requests.js';
import { DfuState, DfuStatus, type DfuStatusReply } from '../dfu/spec.js';
import { DfuError, stateName } from '../errors.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import type { DfuTransport } from '../usb/transport.js';
import { describeCommand, encodeCommand, type DfuseCommand } from './commands.js';
import { BusyPoller, type Operation, type PollingStrategy, type WaitOutcome } from './poll.js';
import type { LogLevel, PhaseBoundary, SessionPhase } from './sessionEvents.js';

/** Where the device is, as far as this session knows. */
export interface LinkState {
  /** The alt setting SET_INTERFACE last selected; undefined before the first. */
  readonly selectedAlternate: number | undefined;
  /**
   * True while the device sits in dfuDNLOAD-IDLE after our last DNLOAD. Every phase ends with an
   * ABORT in that case, so each operation hands the device back in dfuIDLE as dfu-util does
   * (dfu_abort_to_idle; reference §2.8 item 3) and a later session can select an alt setting.
   */
  readonly isInDownload: boolean;
  /** The device left (unplugged, reset, left DFU mode): nothing more is sent. */
  readonly isGone: boolean;
}

export const initialLinkState: LinkState = { selectedAlternate: undefined, isInDownload: false, isGone: false };

/** The transitions, pure: each returns the next state. */
export const link = {
  selected: (state: LinkState, alternate: number): LinkState => ({ ...state, selectedAlternate: alternate }),
  /** A DNLOAD ended in `replyState` (dfuDNLOAD-IDLE, or dfuIDLE after a stuck-busy release). */
  downloaded: (state: LinkState, replyState: number): LinkState => ({ ...state, isInDownload: replyState === DfuState.dfuDNLOAD_IDLE }),
  idle: (state: LinkState): LinkState => ({ ...state, isInDownload: false }),
  gone: (state: LinkState): LinkState => ({ ...state, isInDownload: false, isGone: true }),
} as const;

export interface SessionStats {
  controlTransfers: number;
  bytesOut: number;
  bytesIn: number;
  sleptMs: number;
}

/** Counts every control transfer, for logs and benchmarks. */
export class CountingTransport implements DfuTransport {
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

export interface DeviceLinkOptions {
  readonly transport: DfuTransport;
  readonly clock: Clock;
  readonly info: Pick<DeviceInfo, 'vendorId' | 'productId' | 'bcdDevice'> & { readonly family: Stm32Family };
  readonly polling: PollingStrategy;
  readonly stats: SessionStats;
  readonly log: (level: LogLevel, message: string, data?: Record<string, unknown>) => void;
}

export class DeviceLink implements PhaseBoundary {
  readonly transport: DfuTransport;
  readonly poller: BusyPoller;
  private readonly clock: Clock;
  private readonly stats: SessionStats;
  private readonly log: DeviceLinkOptions['log'];
  private current: LinkState = initialLinkState;
  private isHandleClosed = false;

  constructor(options: DeviceLinkOptions) {
    this.transport = options.transport;
    this.clock = options.clock;
    this.stats = options.stats;
    this.log = options.log;
    this.poller = new BusyPoller({
      transport: options.transport,
      clock: options.clock,
      family: options.info.family,
      quirks: quirksFor(options.info),
      strategy: options.polling,
      log: options.log,
    });
  }

  get state(): LinkState {
    return this.current;
  }

  get isGone(): boolean {
    return this.current.isGone;
  }

  markGone(): void {
    this.current = link.gone(this.current);
  }

  /** Whether the USB handle has been closed (and the interface released). */
  get isReleased(): boolean {
    return this.isHandleClosed;
  }

  /**
   * The device has gone (left DFU, reset after option bytes or read unprotect, unplugged) or the
   * session ends: release the interface and close the USB handle, once. Nothing is sent after it.
   * A handle kept open to a device that left leaks one per board in station mode, and on some
   * systems keeps the re-enumerated device from being opened again (reference §2.8 item 9).
   */
  async release(): Promise<void> {
    this.markGone();
    if (this.isHandleClosed) return;
    this.isHandleClosed = true;
    try {
      await this.transport.close();
    } catch (error) {
      this.log('debug', 'closing the USB handle failed', { error: String(error) });
    }
  }

  /** After a data DNLOAD answered with dfuDNLOAD-IDLE. */
  markDownloadIdle(): void {
    this.current = link.downloaded(this.current, DfuState.dfuDNLOAD_IDLE);
  }

  async selectAlternate(alternate: number, during: string): Promise<void> {
    try {
      await this.transport.selectAlternate(alternate);
    } catch (error) {
      // A disconnect during SET_INTERFACE is the device going away, not an internal error.
      throw await this.explain(toRequestError(error, during), during);
    }
    this.current = link.selected(this.current, alternate);
    this.log('debug', `SET_INTERFACE alt ${alternate}`);
  }

  async ensureSelected(alternate: number, during: string): Promise<void> {
    if (this.current.selectedAlternate !== alternate) {
      // SET_INTERFACE from dfuIDLE only: leave DNLOAD-IDLE/UPLOAD-IDLE first.
      await this.toIdle(during);
      await this.selectAlternate(alternate, during);
    }
  }

  async ensureIdle(alternate: number, during: string): Promise<void> {
    await this.ensureSelected(alternate, during);
    await this.toIdle(during);
  }

  async toIdle(during: string): Promise<void> {
    const reply = await getStatus(this.transport, during);
    if (reply.state === DfuState.dfuIDLE) {
      this.current = link.idle(this.current);
      return;
    }
    if (reply.state === DfuState.dfuDNLOAD_IDLE || reply.state === DfuState.dfuUPLOAD_IDLE) {
      await this.abortToIdle(during);
      return;
    }
    await recoverToIdle(this.transport, { clock: this.clock, during });
    this.current = link.idle(this.current);
  }

  /** ABORT from dfuDNLOAD-IDLE or dfuUPLOAD-IDLE: the device goes to dfuIDLE (DFU 1.1 §6.1.4). */
  async abortToIdle(during: string): Promise<void> {
    await abort(this.transport, during);
    this.current = link.idle(this.current);
  }

  async abortQuietly(during: string): Promise<void> {
    try {
      await this.abortToIdle(during);
    } catch {
      await this.recoverQuietly(during);
    }
  }

  /** DNLOAD block 0 with a DfuSe command, then the status sequence; the reply must be OK. */
  async command(command: DfuseCommand, kind: Operation['kind'], during: string, bytes?: number): Promise<WaitOutcome> {
    this.log('debug', `DNLOAD block 0: ${describeCommand(command)}`, { during });
    const payload = encodeCommand(command);
    const sent = this.clock.now();
    await dnload(this.transport, 0, payload, during);
    const outcome = await this.poller.afterDnload({ kind, bytes, during }, { roundTripMs: this.clock.now() - sent, bytes: payload.length });
    this.checkReply(outcome, [DfuState.dfuDNLOAD_IDLE, ...(outcome.recoveredFromStuckBusy ? [DfuState.dfuIDLE] : [])], during);
    this.current = link.downloaded(this.current, outcome.reply.state);
    this.logWait(during, outcome);
    return outcome;
  }

  checkReply(outcome: WaitOutcome, expected: readonly number[], during: string): void {
    const { reply } = outcome;
    if (reply.status === DfuStatus.OK && expected.includes(reply.state)) return;
    if (reply.state === DfuState.dfuERROR || reply.status !== DfuStatus.OK) {
      throw this.pendingStatusError(reply, during);
    }
    throw new DfuError({ kind: 'unexpected-state', expected: [...expected], actual: reply.state, during });
  }

  /** The error for a dfuERROR reply, after bringing the device back to dfuIDLE. */
  async statusError(reply: DfuStatusReply, during: string): Promise<DfuError> {
    const error = this.pendingStatusError(reply, during);
    await this.recoverQuietly(during);
    return error;
  }

  /**
   * Turns a failure into the error to throw, after getting the device back to dfuIDLE where
   * possible: a STALLed request usually means dfuERROR with a reason in bStatus.
   */
  async explain(error: unknown, during: string): Promise<DfuError> {
    const dfuError = error instanceof DfuError ? error : new DfuError({ kind: 'internal', message: String(error) }, { cause: error });
    if (dfuError.info.kind === 'device-gone') {
      await this.release();
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

  async recoverQuietly(during: string): Promise<void> {
    if (this.current.isGone) return;
    try {
      await recoverToIdle(this.transport, { clock: this.clock, during: `recovery after ${during}` });
      this.current = link.idle(this.current);
    } catch (error) {
      if (error instanceof DfuError && error.info.kind === 'device-gone') await this.release();
      this.log('warn', `could not bring the device back to dfuIDLE after ${during}`, { error: String(error) });
    }
  }

  // PhaseBoundary: a phase hands the device back in dfuIDLE, whether it succeeded or failed.

  async finishPhase(phase: SessionPhase): Promise<void> {
    if (this.current.isInDownload && !this.current.isGone) {
      this.log('debug', `end of ${phase}: ABORT from dfuDNLOAD-IDLE to dfuIDLE`);
      await this.abortToIdle(`end of ${phase}`);
    }
  }

  async failPhase(caught: unknown, phase: SessionPhase): Promise<DfuError> {
    const error = caught instanceof DfuError ? caught : new DfuError({ kind: 'internal', message: String(caught) }, { cause: caught });
    if (error.info.kind === 'device-gone') {
      await this.release();
      return error;
    }
    if (transferFailureOf(error) === 'stall' || error.info.kind === 'device-status' || error.info.kind === 'read-protected') {
      return this.explain(error, error.info.kind === 'transport' ? error.info.during : phase);
    }
    await this.recoverQuietly(phase);
    return error;
  }

  async close(): Promise<void> {
    await this.release();
  }

  logWait(during: string, outcome: WaitOutcome): void {
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

  private pendingStatusError(reply: DfuStatusReply, during: string): DfuError {
    // errVENDOR is how ST BLs say "read protection is active" (AN2662/AN3156; fwupd).
    if (reply.status === DfuStatus.errVENDOR) return new DfuError({ kind: 'read-protected', during });
    return new DfuError({ kind: 'device-status', status: reply.status, state: reply.state, during });
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
