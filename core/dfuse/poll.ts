// Waiting for the device after a DNLOAD: the adaptive polling strategy.
//
// bwPollTimeout is wrong both ways (reference §1.3): the F405 reports 100 ms for a mass erase that
// takes up to 32 s, some L4 BLs report too little and STALL a GETSTATUS sent while a page erase
// runs, and most ST BLs report far more than the operation needs. Sleeping the full reported
// timeout after every GETSTATUS (dfu-util 0.11) is therefore both slow and, on the F405, wrong.
// Real bootloaders answer a GETSTATUS sent while they are busy in one of three ways: they hold it
// until the work is done (ST BLs mostly; pydfu relies on it), answer dfuDNBUSY at once (L4 mostly,
// H7 per Betaflight), or the request fails: a USB full-speed device gives no handshake to a SETUP
// that arrives while its firmware is busy, which the host sees as a STALL or, on Linux, EPROTO
// (libusb's I/O error).
//
// The adaptive strategy:
// 1. The GETSTATUS right after the DNLOAD starts the operation (AN3156: commands run on the
//    GETSTATUS that follows) and normally answers dfuDNBUSY at once.
// 2. Until the device has shown that it holds requests, the next GETSTATUS waits at least the
//    reported bwPollTimeout (DFU 1.1 §6.1.2), bounded by what the operation is expected to need:
//    a device that does not hold is never asked early, and an absurd report is not slept in full.
// 3. A GETSTATUS that comes back done after clearly longer than a plain round trip was held: from
//    then on ("hold" mode) the session polls again immediately and loses no time to sleeping.
//    A first GETSTATUS that is itself held shows the same.
// 4. A STALL, an I/O error or an early dfuDNBUSY answer shows that the device does not hold:
//    "sleep" mode, where it waits the time the operation is expected to take (learned from
//    earlier operations of the same kind, else the family table in timing.ts) before polling,
//    then backs off. STALLs and I/O errors while busy count as "still busy", up to
//    CONSECUTIVE_FAILURES_AS_BUSY in a row and within the operation's budget (dfu-util counts 3).
// 5. A learned duration model per operation kind, fed with the measured durations, makes the
//    first wait of later operations close to the real duration.
// 6. Every operation has an overall budget (mass erase: at least the quirk's 35 s, 60 s default;
//    fwupd gives up after 120 s). A device still in dfuDNBUSY past it gets the H7 treatment
//    (two CLRSTATUS, Betaflight), early if the stuck-busy quirk applies to it, but never before
//    the longest real sector erase (H7_LONGEST_ERASE_MS_PER_128K).
import { clearStatus, getStatus, transferFailureOf } from '../dfu/requests.js';
import { DfuState, DfuStatus, type DfuStatusReply } from '../dfu/spec.js';
import { DfuError, stateName, statusName } from '../errors.js';
import type { Quirk, Stm32Family } from '../devices/stm32.js';
import type { Clock, DfuTransport } from '../usb/transport.js';
import { typicalEraseMs, typicalMassEraseMs, typicalProgramMs } from './timing.js';

export type OperationKind = 'set-address' | 'erase' | 'mass-erase' | 'write' | 'read-unprotect' | 'option-bytes' | 'leave';

/** 'adaptive' is ours; 'reported' sleeps every reported bwPollTimeout, as dfu-util 0.11 does (benchmark baseline). */
export type PollingStrategy = 'adaptive' | 'reported';

export interface Operation {
  readonly kind: OperationKind;
  /** Bytes the operation covers (sector size for an erase, chunk length for a write). */
  readonly bytes?: number;
  /** What the user would call it: "erase of sector 3 at 0x0800C000". */
  readonly during: string;
}

export interface WaitOutcome {
  readonly reply: DfuStatusReply;
  /** bwPollTimeout of the first GETSTATUS. */
  readonly reportedPollMs: number;
  /** Time from the first GETSTATUS reply to the final one. */
  readonly busyMs: number;
  /** Time spent sleeping (as opposed to waiting inside a held GETSTATUS). */
  readonly sleptMs: number;
  readonly polls: number;
  readonly stalls: number;
  /** Set when the device was stuck in dfuDNBUSY and got out with two CLRSTATUS (now dfuIDLE). */
  readonly recoveredFromStuckBusy: boolean;
}

export type PollLog = (level: 'debug' | 'info' | 'warn', message: string, data?: Record<string, unknown>) => void;

const DEFAULT_STALLS_AS_BUSY = 3;
/**
 * STALLs or I/O errors in a row while busy that still count as "busy". A device that fails more
 * polls than this in a row, for longer than FAILING_FOR_MS, is not busy but broken; the budget
 * bounds the total in any case.
 */
const CONSECUTIVE_FAILURES_AS_BUSY = 8;
/** ... and for at least this long (or twice the expected duration): polls can be close together. */
const FAILING_FOR_MS = 1_000;
const MAX_BACKOFF_MS = 1_000;
/** Past the expected end, poll again after this share of the time waited so far. */
const BACKOFF_SHARE = 0.03;
/**
 * A GETSTATUS that took this much longer than the fastest round trip seen was held by the device.
 * A false positive (scheduler noise) costs one early poll, which switches back to timed polling.
 */
const HELD_MARGIN_MS = 3;
/**
 * The longest real H7 sector erase, per 128 KB sector: RM0433/DS12110 give 1-2 s typical with 64-
 * and 32-bit parallelism and up to 4 s maximum at 8-bit parallelism (an ST engineer quoting the
 * datasheet table on community.st.com: x32 "1.1 s typical, 2.2 s" maximum). Before that, a device
 * answering dfuDNBUSY is taken to be erasing, not stuck. Worn sectors have been reported at 6-10 s
 * (community.st.com); those still get the full budget on a device that holds GETSTATUS.
 */
const H7_LONGEST_ERASE_MS_PER_128K = 4_000;

/**
 * Learned ms-per-byte (or per operation) for each operation kind; for sector erases, per sector
 * size: an erase is a fixed part plus a part per KiB (timing.ts), so a rate learned on a 16 KB F4
 * sector would double the wait for a 128 KB one. A size not seen yet starts from the family table.
 */
class DurationModel {
  private readonly rates = new Map<string, number>();
  /** Per key: a duration (per unit) the device was last seen still busy at. */
  private readonly lowerRates = new Map<string, number>();

  constructor(private readonly family: Stm32Family) {}

  hasLearned(operation: Operation): boolean {
    return this.rates.has(keyOf(operation));
  }

  expectedMs(operation: Operation): number {
    const units = this.unitsOf(operation);
    const rate = this.rates.get(keyOf(operation));
    if (rate !== undefined) return rate * units;
    switch (operation.kind) {
      case 'erase':
        return typicalEraseMs(this.family, operation.bytes ?? 0);
      case 'write':
        return typicalProgramMs(this.family, operation.bytes ?? 0);
      case 'mass-erase':
      case 'read-unprotect':
        return typicalMassEraseMs(this.family, operation.bytes ?? 0);
      default:
        return 1;
    }
  }

  /**
   * What one operation taught us. `exact`: measured inside a held GETSTATUS, the true duration.
   * `done-by`: the first timed poll found the device done, so it took at most `upperMs`: probe
   * lower next time, by half while no busy answer has bounded the duration from below (a reported
   * timeout 4x too long is unlearned in three operations), then by 5% (multiplicative decrease,
   * as in congestion control). `between`: still busy at `lowerMs`, done at `upperMs`: the middle.
   */
  observe(operation: Operation, outcome: { quality: 'exact' | 'done-by' | 'between'; upperMs: number; lowerMs?: number }): void {
    const units = this.unitsOf(operation);
    const key = keyOf(operation);
    const upper = outcome.upperMs / units;
    const previous = this.rates.get(key) ?? upper;
    const lower = this.lowerRates.get(key);
    let rate: number;
    if (outcome.quality === 'exact') rate = upper;
    else if (outcome.quality === 'between') {
      const bound = (outcome.lowerMs ?? 0) / units;
      this.lowerRates.set(key, bound);
      rate = (bound + upper) / 2;
    } else rate = lower === undefined ? 0.5 * Math.min(previous, upper) : Math.max(lower * 0.9, 0.95 * Math.min(previous, upper));
    this.rates.set(key, rate);
  }

  private unitsOf(operation: Operation): number {
    return operation.kind === 'erase' || operation.kind === 'write' || operation.kind === 'mass-erase' || operation.kind === 'read-unprotect' ? Math.max(1, operation.bytes ?? 1) : 1;
  }
}

function keyOf(operation: Operation): string {
  return operation.kind === 'erase' ? `erase:${operation.bytes ?? 0}` : operation.kind;
}

export interface PollerOptions {
  readonly transport: DfuTransport;
  readonly clock: Clock;
  readonly family: Stm32Family;
  readonly quirks: readonly Quirk[];
  readonly strategy: PollingStrategy;
  readonly log: PollLog;
}

/** What the session knows about how the device answers a GETSTATUS while it is busy. */
export type HoldBehaviour = 'unknown' | 'holds' | 'answers-early';

export class BusyPoller {
  private readonly model: DurationModel;
  private holding: HoldBehaviour;
  /** The fastest GETSTATUS round trip seen: a plain request, nothing held. */
  private fastestPollMs = Number.POSITIVE_INFINITY;
  private readonly stuckQuirk: Quirk | undefined;
  private readonly massEraseQuirk: Quirk | undefined;
  private readonly stallQuirk: Quirk | undefined;

  constructor(private readonly options: PollerOptions) {
    this.model = new DurationModel(options.family);
    this.stuckQuirk = options.quirks.find((q) => q.id === 'stuck-busy-after-erase');
    this.massEraseQuirk = options.quirks.find((q) => q.id === 'mass-erase-timeout');
    this.stallQuirk = options.quirks.find((q) => q.id === 'stall-when-polled-early');
    // A device known to STALL early polls starts in sleep mode: no first STALL needed to learn it.
    this.holding = this.stallQuirk === undefined ? 'unknown' : 'answers-early';
  }

  /** 'hold': polls again at once; 'sleep': waits before polling (not known to hold, or known not to). */
  get mode(): 'hold' | 'sleep' {
    return this.holding === 'holds' ? 'hold' : 'sleep';
  }

  get holdBehaviour(): HoldBehaviour {
    return this.holding;
  }

  /**
   * Runs the GETSTATUS sequence after a DNLOAD until the device leaves dfuDNBUSY (or the budget is
   * spent). Returns the final reply without judging it: the caller knows which state it expects.
   */
  async afterDnload(operation: Operation, dnload?: { readonly roundTripMs: number; readonly bytes: number }): Promise<WaitOutcome> {
    // A DNLOAD of one packet is a plain round trip: the baseline a held GETSTATUS is told from.
    if (dnload !== undefined && dnload.bytes <= 64) this.noteRoundTrip(dnload.roundTripMs);
    return this.options.strategy === 'reported' ? this.waitReported(operation) : this.waitAdaptive(operation);
  }

  private async waitAdaptive(operation: Operation): Promise<WaitOutcome> {
    const { clock } = this.options;
    let stalls = 0;
    let failuresInRow = 0;
    let polls = 0;
    let sleptMs = 0;
    const firstSent = clock.now();
    const first = await this.poll(operation, () => stalls++);
    polls++;
    const started = clock.now();
    const isFirstHeld = first !== undefined && this.isHeld(started - firstSent);
    if (first !== undefined) this.noteRoundTrip(started - firstSent);
    // Not busy at all (done at once, or an error state): nothing to wait for.
    if (first !== undefined && first.state !== DfuState.dfuDNBUSY) return this.outcome(first, first.pollTimeoutMs, started, sleptMs, polls, stalls, false);
    // A first GETSTATUS held for the whole operation: the device holds requests (and is done).
    // Not on a device that has answered early before: a slow reply there is the host's delay.
    if (isFirstHeld && this.holding === 'unknown') this.markHolds(operation);
    let failingSince = firstSent;
    if (first === undefined) failuresInRow++;
    const reported = first?.pollTimeoutMs ?? 0;
    const expected = this.model.expectedMs(operation);
    const budget = this.budgetMs(operation, reported, expected);
    const isErase = operation.kind === 'erase' || operation.kind === 'mass-erase';
    const stuckAfter = this.stuckQuirk && isErase ? Math.max(3 * Math.max(reported, expected) + 100, this.longestH7EraseMs(operation)) : budget;
    // Timed polling for this operation: on a device known not to hold, or after an early answer.
    // Only a normal completion makes "answers early" permanent: a device stuck in dfuDNBUSY (H7)
    // also answers early, and that says nothing about how it behaves otherwise.
    let isTimed = this.holding === 'answers-early';
    let sawEarlyBusy = false;
    let wasHeld = false;
    let delay: number;
    if (this.holding === 'holds') delay = 0;
    else if (isTimed) delay = this.model.hasLearned(operation) ? expected : Math.max(reported, expected);
    // Not known yet: at least bwPollTimeout, bounded by what the operation needs.
    else delay = Math.min(reported, Math.max(1, expected));
    // When the last poll that found the device busy was sent, and when the final one was: the
    // device was busy at the first and done by the second (a reply's own wire time is no part of it).
    let lowerBound = 0;
    let doneBy: number;
    let reply: DfuStatusReply | undefined;
    for (;;) {
      if (delay > 0) {
        await clock.sleep(delay);
        sleptMs += delay;
      }
      const before = clock.now();
      const stallsBefore = stalls;
      reply = await this.poll(operation, () => stalls++);
      polls++;
      const roundTrip = clock.now() - before;
      doneBy = before - started;
      if (reply !== undefined) {
        failuresInRow = 0;
        this.noteRoundTrip(roundTrip);
      } else if (stalls > stallsBefore) {
        if (failuresInRow === 0) failingSince = before;
        failuresInRow++;
      }
      if (reply !== undefined && reply.state !== DfuState.dfuDNBUSY) {
        if (this.isHeld(roundTrip)) {
          wasHeld = true;
          if (this.holding === 'unknown') this.markHolds(operation);
        }
        break;
      }
      const elapsed = clock.now() - started;
      lowerBound = Math.max(doneBy, 1e-3);
      if (failuresInRow > CONSECUTIVE_FAILURES_AS_BUSY && clock.now() - failingSince >= Math.max(FAILING_FOR_MS, 2 * expected)) {
        throw new DfuError({ kind: 'transport', during: operation.during, detail: `GETSTATUS stalled or failed ${failuresInRow} times in a row while the device was busy (${stalls} in all)` });
      }
      if (elapsed >= stuckAfter) {
        const recovered = await this.unstick(operation, elapsed);
        if (recovered) return this.outcome(recovered, reported, started, sleptMs, polls, stalls, true);
        if (elapsed >= budget) throw new DfuError({ kind: 'timeout', during: operation.during, waitedMs: Math.round(elapsed) });
      }
      if (stalls > stallsBefore) {
        if (this.holding !== 'answers-early') this.options.log('debug', 'GETSTATUS failed while busy: switching to timed polling', { during: operation.during });
        this.holding = 'answers-early';
        isTimed = true;
      } else if (!isTimed && reply !== undefined && !this.isHeld(roundTrip)) {
        sawEarlyBusy = true;
        isTimed = true;
      }
      // After a busy answer: until the expected end, then in steps of a fixed share of the time
      // waited so far. Not the reported timeout (too short on the L4s that stall, arbitrary on
      // others) and not a doubling step: the time lost after the real end stays under that share,
      // and the number of polls grows only with the logarithm of the duration.
      const remaining = Math.max(0, expected - elapsed);
      delay = isTimed ? Math.min(MAX_BACKOFF_MS, Math.max(remaining, BACKOFF_SHARE * elapsed)) : 0;
    }
    if (sawEarlyBusy && this.holding !== 'answers-early') {
      this.holding = 'answers-early';
      this.options.log('debug', 'device answers GETSTATUS while busy: timed polling from now on', { during: operation.during });
    }
    const outcome = this.outcome(reply, reported, started, sleptMs, polls, stalls, false);
    if (first !== undefined) {
      // Held reply: the true duration. Timed: somewhere between the last busy answer and now.
      const isExact = wasHeld || (this.holding === 'holds' && !isTimed && sleptMs === 0);
      this.model.observe(
        operation,
        isExact
          ? { quality: 'exact', upperMs: outcome.busyMs }
          : lowerBound === 0
            ? { quality: 'done-by', upperMs: Math.max(doneBy, 1e-3) }
            : { quality: 'between', upperMs: Math.max(doneBy, lowerBound), lowerMs: lowerBound },
      );
    }
    return outcome;
  }

  private noteRoundTrip(ms: number): void {
    if (ms < this.fastestPollMs) this.fastestPollMs = ms;
  }

  private isHeld(roundTripMs: number): boolean {
    return Number.isFinite(this.fastestPollMs) ? roundTripMs >= this.fastestPollMs + HELD_MARGIN_MS : false;
  }

  private markHolds(operation: Operation): void {
    if (this.holding === 'holds') return;
    this.holding = 'holds';
    this.options.log('debug', 'device holds GETSTATUS until the operation is done: polling again at once from now on', { during: operation.during });
  }

  private longestH7EraseMs(operation: Operation): number {
    if (operation.kind !== 'erase') return 0;
    return H7_LONGEST_ERASE_MS_PER_128K * Math.max(1, Math.ceil((operation.bytes ?? 0) / (128 * 1024))) + 1_000;
  }

  /** dfu-util 0.11: sleep the reported poll timeout after every GETSTATUS, until not busy. */
  private async waitReported(operation: Operation): Promise<WaitOutcome> {
    const { clock } = this.options;
    const started = clock.now();
    let stalls = 0;
    let polls = 0;
    let sleptMs = 0;
    let firstTimeout: number | undefined;
    let reply: DfuStatusReply | undefined;
    let lastTimeout = 0;
    for (;;) {
      reply = await this.poll(operation, () => stalls++);
      polls++;
      if (stalls > DEFAULT_STALLS_AS_BUSY) {
        throw new DfuError({ kind: 'transport', during: operation.during, detail: `GETSTATUS stalled ${stalls} times while the device was busy` });
      }
      let timeout = reply?.pollTimeoutMs ?? lastTimeout;
      if (firstTimeout === undefined && reply) {
        firstTimeout = timeout;
        // dfu-util dfuse.c: "STM32F405 lies about mass erase timeout".
        if (operation.kind === 'mass-erase' && timeout === 100) timeout = 35_000;
      }
      lastTimeout = timeout;
      await clock.sleep(timeout);
      sleptMs += timeout;
      if (reply && reply.state !== DfuState.dfuDNBUSY) break;
      const elapsed = clock.now() - started;
      if (elapsed >= this.budgetMs(operation, firstTimeout ?? 0, 0)) {
        const recovered = await this.unstick(operation, elapsed);
        if (recovered) return this.outcome(recovered, firstTimeout ?? 0, started, sleptMs, polls, stalls, true);
        throw new DfuError({ kind: 'timeout', during: operation.during, waitedMs: Math.round(elapsed) });
      }
    }
    return this.outcome(reply, firstTimeout ?? 0, started, sleptMs, polls, stalls, false);
  }

  /**
   * One GETSTATUS. A STALL, an I/O error or a transfer timeout while the device is busy means
   * "still busy" (dfu-util: L4 pipe stalls; EPROTO on Linux; a held GETSTATUS can outlast the
   * adapter's transfer timeout during a mass erase). A disconnect is a real error.
   */
  private async poll(operation: Operation, onStall: () => void): Promise<DfuStatusReply | undefined> {
    try {
      const reply = await getStatus(this.options.transport, operation.during);
      this.options.log('debug', `GETSTATUS ${statusName(reply.status)} ${stateName(reply.state)} poll ${reply.pollTimeoutMs} ms`, {
        during: operation.during,
        status: reply.status,
        state: reply.state,
        pollTimeoutMs: reply.pollTimeoutMs,
      });
      return reply;
    } catch (error) {
      const failure = transferFailureOf(error);
      if (failure === 'stall' || failure === 'io') {
        // USB FS gives no handshake to a SETUP that arrives while the firmware is busy: a STALL,
        // or EPROTO on Linux (libusb's I/O error). Counted as busy, within a bound.
        onStall();
        this.options.log('debug', `GETSTATUS ${failure === 'stall' ? 'stalled' : 'failed (I/O error)'}: counted as busy`, { during: operation.during });
        return undefined;
      }
      if (failure === 'timeout') {
        this.options.log('debug', 'GETSTATUS timed out: counted as busy', { during: operation.during });
        return undefined;
      }
      throw error;
    }
  }

  /**
   * H7 rev V (Betaflight usbdfu.js, STM32CubeProgrammer): stuck in dfuDNBUSY after an erase; the
   * first CLRSTATUS answers errUNKNOWN/dfuERROR, the second OK/dfuIDLE. Returns the final reply
   * when that worked.
   */
  private async unstick(operation: Operation, elapsedMs: number): Promise<DfuStatusReply | undefined> {
    const { transport } = this.options;
    const requests = this.stuckQuirk?.params?.clearStatusRequests ?? 2;
    this.options.log('warn', `still busy after ${Math.round(elapsedMs)} ms: sending CLRSTATUS ${requests} times to get the device out of dfuDNBUSY`, {
      during: operation.during,
    });
    let reply: DfuStatusReply | undefined;
    for (let i = 0; i < requests; i++) {
      try {
        await clearStatus(transport, operation.during);
        reply = await getStatus(transport, operation.during);
      } catch (error) {
        const failure = transferFailureOf(error);
        if (failure !== 'stall' && failure !== 'timeout') throw error;
        reply = undefined;
      }
      if (reply?.state === DfuState.dfuIDLE && reply.status === DfuStatus.OK) return reply;
    }
    return undefined;
  }

  private budgetMs(operation: Operation, reportedMs: number, expectedMs: number): number {
    const scaled = Math.max(20 * reportedMs, 20 * expectedMs);
    switch (operation.kind) {
      case 'mass-erase':
      case 'read-unprotect':
        return Math.max(60_000, (this.massEraseQuirk?.params?.massEraseTimeoutMs ?? 0) + 5_000, scaled);
      case 'erase':
        return Math.max(10_000, scaled);
      default:
        return Math.max(5_000, scaled);
    }
  }

  private outcome(
    reply: DfuStatusReply | undefined,
    reportedPollMs: number,
    started: number,
    sleptMs: number,
    polls: number,
    stalls: number,
    recoveredFromStuckBusy: boolean,
  ): WaitOutcome {
    if (!reply) throw new DfuError({ kind: 'internal', message: 'poll loop ended without a status' });
    return { reply, reportedPollMs, busyMs: this.options.clock.now() - started, sleptMs, polls, stalls, recoveredFromStuckBusy };
  }
}
