// A strict model of an ST ROM DfuSe bootloader behind the DfuTransport seam. It follows the DFU 1.1
// state machine as ST's firmware implements it (AN3156, the ST USB device library's DFU class as
// described in reference §1-2), executes DfuSe commands on the GETSTATUS that follows them, takes
// real time on the injected clock, and records every protocol misuse it sees in `violations`
// (STALLing where a real bootloader would).
import { crc32, readU32LE, writeU32LE } from '../bytes.js';
import { formatAddress } from '../format.js';
import {
  DFU_ABORT,
  DFU_CLRSTATUS,
  DFU_DETACH,
  DFU_DNLOAD,
  DFU_GETSTATE,
  DFU_GETSTATUS,
  DFU_UPLOAD,
  DFUSE_ERASE,
  DFUSE_GET_COMMANDS,
  DFUSE_READ_UNPROTECT,
  DFUSE_SET_ADDRESS,
  DfuState,
  DfuStatus,
} from '../dfu/spec.js';
import { stateName, statusName } from '../errors.js';
import type { Clock, DfuTransport, OpenedDevice, RawDeviceDescriptors, UsbDeviceSummary } from '../usb/transport.js';
import { TransferError } from '../usb/transport.js';
import { scheduleOn } from '../clock.js';
import { buildDescriptors } from './descriptorBuilder.js';
import { SimulatedMemory } from './memory.js';
import { lcgBytes, seededUnit } from './pseudoRandom.js';
import { loadedOptionBytes, rdpLevel0Value, readRdpLevel, withRdp } from './optionBytesModel.js';
import type { RdpLevel } from './optionBytesModel.js';
import { FLASH_ALTERNATE } from './profiles.js';
import type { SimulatorProfile } from './profiles.js';
import type { ViolationRecord, ViolationRule } from './protocolViolation.js';
import { ProtocolViolation } from './protocolViolation.js';
import type { DisconnectPhase, PollWhileBusy, ScenarioOptions } from './scenarios.js';
import { HEALTHY } from './scenarios.js';

export interface SimulatedDeviceOptions {
  readonly profile: SimulatorProfile;
  readonly scenario?: ScenarioOptions;
  readonly clock: Clock;
  /** Bus id, default "sim:<profile id>". */
  readonly id?: string;
  readonly serial?: string;
  /** USB path, default "sim-<profile id>". */
  readonly path?: string;
  /**
   * Sleep only once the device is this far ahead of the clock. Real timers cannot sleep 1 ms
   * precisely; with a quantum the owed time is carried and paid in one sleep. Default 0 (exact).
   */
  readonly sleepQuantumMs?: number;
  /** How long the host waits for an answer before a transfer times out (libusb control timeout). */
  readonly hostTimeoutMs?: number;
  /** A demo board whose boot pin is held: back in DFU mode this long after leaving. Default: stays away. */
  readonly reenterAfterLeaveMs?: number;
}

export type RequestKind = 'detach' | 'dnload' | 'upload' | 'getStatus' | 'clrStatus' | 'getState' | 'abort' | 'selectAlternate' | 'reset' | 'unknown';

export interface SimulatorStats {
  controlTransfers: number;
  requests: Record<RequestKind, number>;
  operations: {
    setAddress: number;
    erase: number;
    massErase: number;
    write: number;
    upload: number;
    getCommands: number;
    readUnprotect: number;
    optionBytes: number;
    leave: number;
  };
  bytesWritten: number;
  bytesRead: number;
  stalls: number;
  /** Time spent on the USB wire (every control transfer). */
  transferMs: number;
  /** Time spent erasing/programming (sum of operation durations). */
  busyMs: number;
  /** transferMs + busyMs: no host can finish the same work faster ("the device floor"). */
  floorMs: number;
}

type Pending =
  | { readonly kind: 'set-address'; readonly address: number }
  | { readonly kind: 'erase'; readonly address: number }
  | { readonly kind: 'mass-erase' }
  | { readonly kind: 'read-unprotect' }
  | { readonly kind: 'bad-command'; readonly bytes: Uint8Array }
  | { readonly kind: 'ignored-block' }
  | { readonly kind: 'write'; readonly block: number; readonly data: Uint8Array };

interface Operation {
  readonly durationMs: number;
  readonly reportedMs: number;
  readonly complete: () => void;
  /** Ends in a reset or a hang: complete it on time even if the host never asks again. */
  readonly completesOnItsOwn?: boolean;
}

interface Busy {
  readonly endsAt: number;
  readonly complete: () => void;
  /** bwPollTimeout to answer while busy (answer-busy and flaky variants). */
  readonly reportedMs: number;
  readonly completesOnItsOwn: boolean;
}

const DEFAULT_POINTER = 0x08000000; // AN2662: no address set → 0x08000000
const DEFAULT_HOST_TIMEOUT_MS = 5000; // dfu-util's control-transfer timeout
const PREVIOUS_FIRMWARE_BYTES = 48 * 1024;
const GET_COMMANDS_REPLY = [DFUSE_GET_COMMANDS, DFUSE_SET_ADDRESS, DFUSE_ERASE, DFUSE_READ_UNPROTECT];
const MAX_POLL_TIMEOUT = 0xffffff; // bwPollTimeout is 24 bits

function emptyStats(): SimulatorStats {
  return {
    controlTransfers: 0,
    requests: { detach: 0, dnload: 0, upload: 0, getStatus: 0, clrStatus: 0, getState: 0, abort: 0, selectAlternate: 0, reset: 0, unknown: 0 },
    operations: { setAddress: 0, erase: 0, massErase: 0, write: 0, upload: 0, getCommands: 0, readUnprotect: 0, optionBytes: 0, leave: 0 },
    bytesWritten: 0,
    bytesRead: 0,
    stalls: 0,
    transferMs: 0,
    busyMs: 0,
    floorMs: 0,
  };
}

/**
 * What a board in DFU mode usually holds: an old application. The vector table matches the one
 * the founding report read back (SP 0x20005000, reset vector 0x0800C329, reference §7.3); the rest
 * is deterministic pseudo-random code-like bytes.
 */
export function previousFirmware(seed: string, length: number): Uint8Array {
  const out = lcgBytes(length, crc32(new TextEncoder().encode(seed)) || 1);
  if (length >= 8) {
    writeU32LE(out, 0, 0x20005000);
    writeU32LE(out, 4, 0x0800c329);
  }
  return out;
}

export class SimulatedDevice implements DfuTransport {
  readonly profile: SimulatorProfile;
  readonly scenario: ScenarioOptions;
  readonly summary: UsbDeviceSummary;
  readonly descriptors: RawDeviceDescriptors;
  /** Every protocol misuse seen, as "rule: message" (also in violationLog with details). */
  readonly violations: string[] = [];
  readonly violationLog: ViolationRecord[] = [];
  readonly stats: SimulatorStats = emptyStats();

  private readonly clock: Clock;
  private readonly memories: SimulatedMemory[];
  private readonly systemMemory: SimulatedMemory;
  private readonly quantumMs: number;
  private readonly hostTimeoutMs: number;
  private readonly reenterAfterLeaveMs: number | undefined;
  private readonly listeners = new Set<(isConnected: boolean) => void>();

  private connected = true;
  private handles = 0;
  private isBrickedForGood = false;
  private hung = false;
  private generation = 0;
  private state: number = DfuState.dfuIDLE;
  private status: number = DfuStatus.OK;
  private pointer = DEFAULT_POINTER;
  private alternate = 0;
  private pending: Pending | undefined;
  private busy: Busy | undefined;
  private stuck: { release: 'two-clrstatus' | 'replug' } | undefined;
  private lastDataBlock: { block: number; length: number } | undefined;
  private deviceTime = 0;
  private rdp: RdpLevel = 0;
  private readonly counters = { erase: 0, write: 0, disconnectMatches: 0 };
  private readonly fired = { disconnect: false, erase: false, write: false, stuck: false };
  private cancelReconnect: (() => void) | undefined;
  private readonly pollWhileBusy: PollWhileBusy;
  private readonly random: () => number;
  /** first-held: the GETSTATUS that started an operation answers when the operation ends. */
  private holdReplyUntil: number | undefined;

  constructor(options: SimulatedDeviceOptions) {
    this.profile = options.profile;
    this.scenario = options.scenario ?? HEALTHY;
    this.clock = options.clock;
    this.quantumMs = Math.max(0, options.sleepQuantumMs ?? 0);
    this.hostTimeoutMs = options.hostTimeoutMs ?? DEFAULT_HOST_TIMEOUT_MS;
    this.reenterAfterLeaveMs = options.reenterAfterLeaveMs;
    this.pollWhileBusy = this.scenario.pollWhileBusy ?? (this.profile.quirks.stallWhenPolledEarly ? 'stall' : 'hold');
    this.random = seededUnit(this.scenario.pollSeed ?? 1);
    const serial = options.serial ?? this.profile.serial;
    this.summary = {
      id: options.id ?? `sim:${this.profile.id}`,
      vendorId: this.profile.vendorId,
      productId: this.profile.productId,
      bcdDevice: this.profile.bcdDevice,
      path: options.path ?? `sim-${this.profile.id}`,
      serialNumber: serial,
      product: this.profile.product,
      isSimulated: true,
    };
    this.descriptors = buildDescriptors({
      ...this.profile,
      serial,
      alternateNames: this.profile.alternates.map((alternate) => alternate.descriptor),
    });
    this.memories = this.profile.alternates.map((alternate) => new SimulatedMemory(alternate.memory));
    this.systemMemory = buildSystemMemory(this.profile, serial);

    const flash = this.memories[FLASH_ALTERNATE];
    if (flash && this.scenario.flashContent !== 'blank') {
      const realEnd = flash.spec.realEnd ?? flash.end;
      const length = Math.min(PREVIOUS_FIRMWARE_BYTES, realEnd - flash.start);
      flash.load(flash.start, previousFirmware(this.profile.id, length));
    }
    if (this.scenario.readProtected) {
      this.optionBytesMemory().load(this.profile.optionBytes.address, withRdp(this.profile.optionBytes.layout, this.rawOptionBytes(), 0xbb));
    }
    this.deviceTime = this.clock.now();
    this.powerOn();
  }

  // --- inspection (tests, benchmarks, demo UI; the engine never uses these) -------------------

  get isConnected(): boolean {
    return this.connected;
  }

  /** Handles opened with open() and not closed yet (also handles to a device that went away). */
  get openHandles(): number {
    return this.handles;
  }

  /** RDP level 2 was written: the bootloader is disabled for good and never comes back. */
  get isBricked(): boolean {
    return this.isBrickedForGood;
  }

  get isHung(): boolean {
    return this.hung;
  }

  get dfuState(): number {
    return this.stuck ? DfuState.dfuDNBUSY : this.state;
  }

  get dfuStatus(): number {
    return this.status;
  }

  get addressPointer(): number {
    return this.pointer;
  }

  get selectedAlternate(): number {
    return this.alternate;
  }

  get readProtectionLevel(): RdpLevel {
    return this.rdp;
  }

  /** Live view of the backing bytes of an alt setting's first address block. */
  memory(alternate: number): Uint8Array {
    this.settle(this.clock.now());
    const view = this.memories[alternate]?.view();
    if (!view) throw new RangeError(`alt setting ${alternate} does not exist`);
    return view;
  }

  /** Raw bytes at an address in any alt setting (no rules, no time, no read protection). */
  peek(address: number, length: number): Uint8Array {
    this.settle(this.clock.now());
    const found = this.memoryAt(address);
    if (!found) throw new RangeError(`${formatAddress(address)} is not in any alt setting`);
    return found.memory.read(address, length);
  }

  /** Sets bytes directly, e.g. an old application for a test (no rules, no time). */
  poke(address: number, bytes: Uint8Array): void {
    const found = this.memoryAt(address);
    if (!found) throw new RangeError(`${formatAddress(address)} is not in any alt setting`);
    found.memory.load(address, bytes);
  }

  /** Per sector of an alt setting: erased and not programmed since. */
  erasedSectors(alternate: number): boolean[] {
    this.settle(this.clock.now());
    return this.memories[alternate]?.erasedBitmap() ?? [];
  }

  onConnectionChange(listener: (isConnected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Pulls the cable (stays away until replug()). */
  unplug(): void {
    this.cancelReconnect?.();
    this.cancelReconnect = undefined;
    this.disconnect();
  }

  /** Plugs it back in (power cycle: fresh state machine, memory kept). */
  replug(): void {
    this.cancelReconnect?.();
    this.cancelReconnect = undefined;
    this.disconnect();
    this.reconnect();
  }

  resetStats(): void {
    Object.assign(this.stats, emptyStats());
  }

  // --- DfuTransport ------------------------------------------------------------------------------

  open(): OpenedDevice {
    if (!this.connected) throw new TransferError('disconnected', `${this.summary.id} is not connected`);
    const generation = this.generation;
    let isClosed = false;
    this.handles++;
    const guard = <T>(run: () => Promise<T>): Promise<T> => {
      if (!isClosed) return run();
      this.record('closed', 'request on a closed handle');
      return Promise.reject(new TransferError('io', 'the device handle is closed'));
    };
    const transport: DfuTransport = {
      controlIn: (request, value, length) => guard(() => this.controlInFor(generation, request, value, length)),
      controlOut: (request, value, data) => guard(() => this.controlOutFor(generation, request, value, data)),
      selectAlternate: (alternate) => guard(() => this.selectAlternateFor(generation, alternate)),
      reset: () => guard(() => this.resetFor(generation)),
      close: () => {
        if (!isClosed) this.handles--;
        isClosed = true;
        return Promise.resolve();
      },
    };
    return { summary: this.summary, descriptors: this.descriptors, interfaceNumber: 0, transport };
  }

  controlIn(request: number, value: number, length: number): Promise<Uint8Array> {
    return this.controlInFor(undefined, request, value, length);
  }

  controlOut(request: number, value: number, data?: Uint8Array): Promise<number> {
    return this.controlOutFor(undefined, request, value, data);
  }

  selectAlternate(alternate: number): Promise<void> {
    return this.selectAlternateFor(undefined, alternate);
  }

  reset(): Promise<void> {
    return this.resetFor(undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  // --- request dispatch ----------------------------------------------------------------------------

  private controlInFor(generation: number | undefined, request: number, value: number, length: number): Promise<Uint8Array> {
    switch (request) {
      case DFU_UPLOAD:
        return this.transfer(generation, 'upload', length, value >= 2 ? 'read' : undefined, () => this.upload(value, length));
      case DFU_GETSTATUS:
        return this.transfer(generation, 'getStatus', 6, undefined, (at) => this.getStatus(at).slice(0, length));
      case DFU_GETSTATE:
        return this.transfer(generation, 'getState', 1, undefined, () => Uint8Array.of(this.dfuState).slice(0, length));
      default:
        return this.transfer(generation, 'unknown', 0, undefined, () =>
          this.violate('unknown-request', `device-to-host request ${request} is not a DFU upload/status/state request`),
        );
    }
  }

  private controlOutFor(generation: number | undefined, request: number, value: number, data?: Uint8Array): Promise<number> {
    const payload = data ?? new Uint8Array(0);
    switch (request) {
      case DFU_DNLOAD:
        return this.transfer(generation, 'dnload', payload.length, this.dnloadPhase(value, payload), () => {
          this.dnload(value, payload);
          return payload.length;
        });
      case DFU_CLRSTATUS:
        return this.transfer(generation, 'clrStatus', 0, undefined, () => {
          this.clearStatus();
          return 0;
        });
      case DFU_ABORT:
        return this.transfer(generation, 'abort', 0, undefined, () => {
          this.abort();
          return 0;
        });
      case DFU_DETACH:
        return this.transfer(generation, 'detach', 0, undefined, () => {
          this.record('detach-in-dfu-mode', 'DFU_DETACH sent to a device already in DFU mode; the ST bootloader re-enumerates');
          this.resetDevice();
          return 0;
        });
      default:
        return this.transfer(generation, 'unknown', payload.length, undefined, () =>
          this.violate('unknown-request', `host-to-device request ${request} is not a DFU download/clear/abort/detach request`),
        );
    }
  }

  private selectAlternateFor(generation: number | undefined, alternate: number): Promise<void> {
    return this.transfer(generation, 'selectAlternate', 0, undefined, () => {
      if (!Number.isInteger(alternate) || alternate < 0 || alternate >= this.profile.alternates.length) {
        this.record('unknown-request', `SET_INTERFACE to alt setting ${alternate}, which does not exist`);
        this.stats.stalls++;
        throw new TransferError('stall', `alt setting ${alternate} does not exist`);
      }
      if (this.dfuState !== DfuState.dfuIDLE && this.dfuState !== DfuState.dfuERROR) {
        this.record('alternate-while-busy', `SET_INTERFACE to alt ${alternate} in ${stateName(this.dfuState)}; finish or ABORT first`);
      }
      this.alternate = alternate;
    });
  }

  private resetFor(generation: number | undefined): Promise<void> {
    // A USB bus reset: the bootloader restarts its DFU class (dfuIDLE) but stays on the bus.
    return this.transfer(generation, 'reset', 0, undefined, () => {
      this.pending = undefined;
      this.lastDataBlock = undefined;
      this.state = DfuState.dfuIDLE;
      this.status = DfuStatus.OK;
      this.pointer = DEFAULT_POINTER;
      this.alternate = 0;
    });
  }

  /** Which disconnect-fault phase a DNLOAD belongs to. */
  private dnloadPhase(value: number, payload: Uint8Array): DisconnectPhase | undefined {
    if (value >= 2 && payload.length > 0) return 'write';
    if (value === 0 && payload[0] === DFUSE_ERASE) return 'erase';
    return undefined;
  }

  /**
   * Every control transfer: connection and fault checks, the wait for a running operation (held
   * like ST's NAKed EP0, or STALLed on the L4 quirk), the wire time, then the state machine.
   */
  private async transfer<T>(
    generation: number | undefined,
    kind: RequestKind,
    dataBytes: number,
    phase: DisconnectPhase | undefined,
    body: (at: number) => T | Promise<T>,
  ): Promise<T> {
    this.ensureConnected(generation);
    if (this.hung) return this.timeOut(kind);
    this.stats.controlTransfers++;
    this.stats.requests[kind]++;
    this.checkDisconnectFault(phase);

    let start = Math.max(this.clock.now(), this.deviceTime);
    if (this.busy && start < this.busy.endsAt) {
      if (kind === 'getStatus' && this.pollWhileBusy !== 'hold' && this.pollWhileBusy !== 'first-held') {
        return (await this.answerEarly(start, this.busy)) as T;
      }
      const waitMs = this.busy.endsAt - start;
      if (waitMs > this.hostTimeoutMs) {
        // The bootloader NAKs EP0 for the whole operation; the host gives up first.
        await this.clock.sleep(Math.max(0, start + this.hostTimeoutMs - this.clock.now()));
        throw new TransferError('timeout', `no answer within ${this.hostTimeoutMs} ms: the device is still busy`);
      }
      start = this.busy.endsAt;
    }
    this.settle(start);
    this.ensureConnected(generation);
    if (this.hung) return this.timeOut(kind);

    this.spend(start, this.profile.timings.usbOverheadMs + dataBytes / this.profile.timings.usbBytesPerMs);
    await this.catchUp();
    this.ensureConnected(generation);
    const result = await body(this.deviceTime);
    const holdUntil = this.holdReplyUntil;
    if (holdUntil !== undefined) {
      // first-held: the reply leaves only when the operation is over (its time is already busy time).
      this.holdReplyUntil = undefined;
      this.deviceTime = Math.max(this.deviceTime, holdUntil);
      this.settle(this.deviceTime);
      await this.catchUp();
      this.ensureConnected(generation);
    }
    return result;
  }

  /**
   * A GETSTATUS while an operation runs, on a device that does not hold it: the L4 STALL, an
   * early dfuDNBUSY, or (flaky) at random a STALL, an I/O error (USB FS gives no handshake to a
   * SETUP the busy firmware does not take; Linux reports EPROTO) or dfuDNBUSY.
   */
  private async answerEarly(start: number, busy: Busy): Promise<Uint8Array> {
    this.spend(start, this.profile.timings.usbOverheadMs);
    await this.catchUp();
    let outcome: 'stall' | 'io' | 'busy' = this.pollWhileBusy === 'stall' ? 'stall' : 'busy';
    if (this.pollWhileBusy === 'flaky') {
      const draw = this.random();
      outcome = draw < 0.2 ? 'stall' : draw < 0.4 ? 'io' : 'busy';
    }
    if (outcome === 'stall') {
      this.stats.stalls++;
      throw new TransferError('stall', 'GETSTATUS while the operation is still running (no handshake from the busy bootloader)');
    }
    if (outcome === 'io') throw new TransferError('io', 'LIBUSB_ERROR_IO: EPROTO, GETSTATUS while the operation is still running');
    return statusReply(DfuStatus.OK, this.reportPoll(busy.reportedMs, Math.max(0, busy.endsAt - this.deviceTime)), DfuState.dfuDNBUSY);
  }

  private spend(start: number, ms: number): void {
    this.deviceTime = start + ms;
    this.stats.transferMs += ms;
    this.stats.floorMs += ms;
  }

  private async catchUp(): Promise<void> {
    const lag = this.deviceTime - this.clock.now();
    if (lag > 0 && lag >= this.quantumMs) await this.clock.sleep(lag);
  }

  private async timeOut(kind: RequestKind): Promise<never> {
    await this.clock.sleep(this.hostTimeoutMs);
    throw new TransferError('timeout', `${kind}: the bootloader does not answer any more (hung)`);
  }

  private ensureConnected(generation: number | undefined): void {
    if (!this.connected || (generation !== undefined && generation !== this.generation)) {
      throw new TransferError('disconnected', `${this.summary.id} is not connected`);
    }
  }

  private checkDisconnectFault(phase: DisconnectPhase | undefined): void {
    const fault = this.scenario.disconnect;
    if (!fault || this.fired.disconnect) return;
    if (fault.during !== 'any' && fault.during !== phase) return;
    this.counters.disconnectMatches++;
    if (this.counters.disconnectMatches <= fault.after) return;
    this.fired.disconnect = true;
    this.disconnect();
    if (fault.replugAfterMs !== undefined) this.scheduleReconnect(fault.replugAfterMs);
    throw new TransferError('disconnected', `${this.summary.id} was unplugged (scenario ${this.scenario.id})`);
  }

  private settle(at: number): void {
    const busy = this.busy;
    if (busy && at >= busy.endsAt) {
      this.busy = undefined;
      busy.complete();
    }
  }

  // --- DFU requests ----------------------------------------------------------------------------

  private getStatus(at: number): Uint8Array {
    if (this.stuck) return statusReply(DfuStatus.OK, this.reportPoll(this.profile.timings.reported.erase, 0), DfuState.dfuDNBUSY);
    switch (this.state) {
      case DfuState.dfuDNLOAD_SYNC: {
        const pending = this.pending;
        if (!pending) {
          this.state = DfuState.dfuDNLOAD_IDLE;
          return statusReply(this.status, 0, this.state);
        }
        this.pending = undefined;
        const operation = this.startOperation(pending);
        this.state = DfuState.dfuDNBUSY;
        this.beginBusy(at, operation);
        if (this.pollWhileBusy === 'first-held' && !operation.completesOnItsOwn) this.holdReplyUntil = at + operation.durationMs;
        return statusReply(DfuStatus.OK, this.reportPoll(operation.reportedMs, operation.durationMs), DfuState.dfuDNBUSY);
      }
      case DfuState.dfuMANIFEST_SYNC: {
        this.stats.operations.leave++;
        if (this.profile.quirks.noStatusAfterLeave) {
          // H7 (reference §2.6): the bootloader jumps before answering.
          this.leaveDfu();
          throw new TransferError('io', 'the device left DFU mode before answering GETSTATUS');
        }
        this.state = DfuState.dfuMANIFEST;
        this.beginBusy(at, { durationMs: this.profile.timings.leaveMs, reportedMs: 0, complete: () => this.leaveDfu(), completesOnItsOwn: true });
        return statusReply(DfuStatus.OK, this.reportPoll(this.profile.timings.reported.leave, this.profile.timings.leaveMs), DfuState.dfuMANIFEST);
      }
      default:
        return statusReply(this.status, 0, this.state);
    }
  }

  private beginBusy(at: number, operation: Operation): void {
    const busy: Busy = {
      endsAt: at + operation.durationMs,
      complete: operation.complete,
      reportedMs: operation.reportedMs,
      completesOnItsOwn: operation.completesOnItsOwn === true,
    };
    this.busy = busy;
    this.stats.busyMs += operation.durationMs;
    this.stats.floorMs += operation.durationMs;
    if (operation.completesOnItsOwn) {
      scheduleOn(this.clock, Math.max(0, busy.endsAt - this.clock.now()), () => {
        if (this.busy === busy) this.settle(busy.endsAt);
      });
    }
  }

  private reportPoll(reportedMs: number, durationMs: number): number {
    const value =
      this.scenario.lyingPollTimeout === 'short' ? 1 : this.scenario.lyingPollTimeout === 'long' ? durationMs * 4 + 50 : reportedMs;
    return Math.min(MAX_POLL_TIMEOUT, Math.max(0, Math.round(value)));
  }

  private dnload(value: number, data: Uint8Array): void {
    if (this.state !== DfuState.dfuIDLE && this.state !== DfuState.dfuDNLOAD_IDLE) {
      const hint = this.state === DfuState.dfuDNLOAD_SYNC ? ': the previous DNLOAD was not followed by GETSTATUS (DfuSe runs it on GETSTATUS)' : '';
      this.violate('wrong-state', `DNLOAD in ${stateName(this.dfuState)}${hint}`);
    }
    if (data.length > this.profile.transferSize) {
      this.violate('chunk-too-long', `DNLOAD of ${data.length} bytes, wTransferSize is ${this.profile.transferSize}`);
    }
    if (data.length === 0) {
      if (this.state === DfuState.dfuIDLE && this.isStrict) {
        this.record('leave-from-idle', 'zero-length DNLOAD in dfuIDLE (DFU 1.1 makes it an error; set the jump address first)');
      }
      this.lastDataBlock = undefined;
      this.state = DfuState.dfuMANIFEST_SYNC;
      return;
    }
    if (value === 0) {
      this.lastDataBlock = undefined;
      this.pending = this.parseCommand(data);
    } else if (value === 1) {
      this.record('block-1', 'DNLOAD with wValue 1: DfuSe uses 0 for commands and 2.. for data; the ST bootloader ignores it');
      this.pending = { kind: 'ignored-block' };
    } else {
      const previous = this.lastDataBlock;
      if (value > 2 && previous && previous.block === value - 1 && previous.length !== this.profile.transferSize) {
        this.record(
          'block-sequence',
          `block ${value} follows a ${previous.length}-byte block ${previous.block}: the device places block n at pointer + (n-2) x ${this.profile.transferSize}, leaving a gap`,
        );
      }
      this.lastDataBlock = { block: value, length: data.length };
      this.pending = { kind: 'write', block: value, data: data.slice() };
    }
    this.state = DfuState.dfuDNLOAD_SYNC;
  }

  private parseCommand(data: Uint8Array): Pending {
    const command = data[0];
    if (command === DFUSE_SET_ADDRESS && data.length === 5) return { kind: 'set-address', address: readU32LE(data, 1) };
    if (command === DFUSE_ERASE && data.length === 5) return { kind: 'erase', address: readU32LE(data, 1) };
    if (command === DFUSE_ERASE && data.length === 1) return { kind: 'mass-erase' };
    if (command === DFUSE_READ_UNPROTECT && data.length === 1) return { kind: 'read-unprotect' };
    this.record('bad-command', `DfuSe command 0x${(command ?? 0).toString(16)} with ${data.length} bytes is not supported`);
    return { kind: 'bad-command', bytes: data.slice() };
  }

  private upload(value: number, length: number): Uint8Array | Promise<never> {
    if (this.state !== DfuState.dfuIDLE && this.state !== DfuState.dfuUPLOAD_IDLE) {
      const hint = this.state === DfuState.dfuDNLOAD_IDLE ? ': ABORT to dfuIDLE first (AN3156, dfu-util dfu_abort_to_idle)' : '';
      this.violate('wrong-state', `UPLOAD in ${stateName(this.dfuState)}${hint}`);
    }
    if (length > this.profile.transferSize) {
      this.violate('upload-too-long', `UPLOAD of ${length} bytes, wTransferSize is ${this.profile.transferSize}`);
    }
    if (value === 0) {
      this.stats.operations.getCommands++;
      this.state = length > GET_COMMANDS_REPLY.length - 1 ? DfuState.dfuIDLE : DfuState.dfuUPLOAD_IDLE;
      return Uint8Array.from(GET_COMMANDS_REPLY.slice(0, length));
    }
    if (value === 1) this.violate('block-1', 'UPLOAD with wValue 1: DfuSe reads start at block 2');
    const address = this.pointer + (value - 2) * this.blockStride(length);
    const found = this.memoryAt(address);
    if (!found || !found.memory.spec.isReadable) return this.failRequest(DfuStatus.errTARGET, `UPLOAD at ${formatAddress(address)}: not readable`);
    if (this.rdp >= 1) return this.failRequest(DfuStatus.errVENDOR, 'UPLOAD while read protection is active');
    if (found.memory.isPhantom(address, length)) {
      // Reading beyond the real flash crashes the L072xB bootloader (reference §2.8 item 6).
      this.hang();
      return this.timeOut('upload');
    }
    this.checkAlternate(found.alternate, address);
    const data = found.memory.read(address, length);
    this.stats.operations.upload++;
    this.stats.bytesRead += data.length;
    // DFU 1.1: a short frame ends the upload.
    this.state = data.length < length ? DfuState.dfuIDLE : DfuState.dfuUPLOAD_IDLE;
    return data;
  }

  private clearStatus(): void {
    if (this.stuck) {
      // STM32H743 rev V (reference §1.3): first CLRSTATUS → dfuERROR/errUNKNOWN, second → dfuIDLE.
      if (this.stuck.release === 'two-clrstatus') {
        this.stuck = undefined;
        this.state = DfuState.dfuERROR;
        this.status = DfuStatus.errUNKNOWN;
      }
      return;
    }
    if (this.state === DfuState.dfuERROR) {
      this.state = DfuState.dfuIDLE;
      this.status = DfuStatus.OK;
      return;
    }
    const message = `CLRSTATUS in ${stateName(this.state)}: send ABORT in dfuDNLOAD-IDLE/dfuUPLOAD-IDLE, CLRSTATUS only in dfuERROR`;
    if (this.isStrict) this.violate('clrstatus-outside-error', message);
    // ST's DFU class answers a CLRSTATUS outside dfuERROR by entering dfuERROR/errUNKNOWN.
    this.record('clrstatus-outside-error', message);
    this.state = DfuState.dfuERROR;
    this.status = DfuStatus.errUNKNOWN;
  }

  private abort(): void {
    if (this.stuck) return;
    switch (this.state) {
      case DfuState.dfuIDLE:
      case DfuState.dfuDNLOAD_SYNC:
      case DfuState.dfuDNLOAD_IDLE:
      case DfuState.dfuMANIFEST_SYNC:
      case DfuState.dfuUPLOAD_IDLE:
        this.pending = undefined;
        this.lastDataBlock = undefined;
        this.state = DfuState.dfuIDLE;
        return;
      case DfuState.dfuERROR: {
        const message = 'ABORT in dfuERROR does nothing; CLRSTATUS leaves dfuERROR';
        if (this.isStrict) this.violate('abort-in-error', message);
        this.record('abort-in-error', message);
        return;
      }
      default:
        return;
    }
  }

  // --- operations (run on the GETSTATUS after the DNLOAD) ---------------------------------------

  private startOperation(pending: Pending): Operation {
    const timings = this.profile.timings;
    const reported = timings.reported;
    const ok = (): void => this.finishOk();
    switch (pending.kind) {
      case 'ignored-block':
        return { durationMs: timings.setAddressMs, reportedMs: reported.setAddress, complete: ok };
      case 'bad-command':
        return {
          durationMs: timings.setAddressMs,
          reportedMs: reported.setAddress,
          complete: () => this.finishError(DfuStatus.errSTALLEDPKT),
        };
      case 'set-address': {
        this.stats.operations.setAddress++;
        const found = this.memoryAt(pending.address);
        const isRefused = this.rdp >= 1 && this.scenario.setAddressRefusedWhenProtected === true;
        return {
          durationMs: timings.setAddressMs,
          reportedMs: reported.setAddress,
          complete: () => {
            if (isRefused) return this.finishError(DfuStatus.errVENDOR);
            if (!found) return this.finishError(DfuStatus.errTARGET);
            this.pointer = pending.address;
            this.finishOk();
          },
        };
      }
      case 'erase':
        return this.startErase(pending.address);
      case 'mass-erase':
        return this.startMassErase();
      case 'read-unprotect':
        this.stats.operations.readUnprotect++;
        if (this.rdp === 0 && this.scenario.readUnprotectAtLevel0 === 'no-op') {
          return { durationMs: timings.setAddressMs, reportedMs: reported.readUnprotect, complete: ok };
        }
        return {
          durationMs: timings.massEraseMs * (this.scenario.massEraseFactor ?? 1) + timings.optionBytesMs,
          reportedMs: reported.readUnprotect,
          completesOnItsOwn: true,
          complete: () => {
            // Level 1 → 0 mass-erases flash and data EEPROM (RM0090, RM0377), then the chip resets.
            for (const memory of this.memories) if (memory.spec.kind === 'flash' || memory.spec.kind === 'eeprom') memory.eraseAll();
            const { address, layout } = this.profile.optionBytes;
            this.optionBytesMemory().load(address, withRdp(layout, this.rawOptionBytes(), rdpLevel0Value(layout)));
            this.resetDevice();
          },
        };
      case 'write':
        return this.startWrite(pending.block, pending.data);
    }
  }

  private startErase(address: number): Operation {
    const timings = this.profile.timings;
    const fail = (status: number): Operation => ({ durationMs: timings.setAddressMs, reportedMs: timings.reported.erase, complete: () => this.finishError(status) });
    const found = this.memoryAt(address);
    if (!found) return fail(DfuStatus.errTARGET);
    if (this.rdp >= 1) return fail(DfuStatus.errVENDOR);
    if (!found.memory.spec.isErasable) return fail(DfuStatus.errTARGET);
    const sector = found.memory.sectorAt(address);
    if (!sector) return fail(DfuStatus.errTARGET);
    this.checkAlternate(found.alternate, address);
    if (address !== sector.start && this.isStrict) {
      this.record('unaligned-erase', `erase at ${formatAddress(address)} is inside the sector starting at ${formatAddress(sector.start)}`);
    }
    if (found.memory.isPhantom(sector.start)) {
      return { durationMs: sector.eraseMs, reportedMs: timings.reported.erase, completesOnItsOwn: true, complete: () => this.hang() };
    }
    this.stats.operations.erase++;
    if (this.isWriteProtected(found.alternate, sector.index)) {
      // AN2662 (reference §2.1 item 6): no error, nothing erased.
      return this.eraseFaults(sector.eraseMs, timings.reported.erase, () => undefined);
    }
    return this.eraseFaults(sector.eraseMs, timings.reported.erase, () => found.memory.eraseSector(sector));
  }

  private startMassErase(): Operation {
    const timings = this.profile.timings;
    if (this.rdp >= 1) {
      return { durationMs: timings.setAddressMs, reportedMs: timings.reported.massErase, complete: () => this.finishError(DfuStatus.errVENDOR) };
    }
    this.stats.operations.massErase++;
    const flash = this.memories[FLASH_ALTERNATE];
    return this.eraseFaults(timings.massEraseMs * (this.scenario.massEraseFactor ?? 1), timings.reported.massErase, () => flash?.eraseAll());
  }

  /** Applies the erase faults of the scenario (they count page and mass erases alike). */
  private eraseFaults(durationMs: number, reportedMs: number, erase: () => void): Operation {
    this.counters.erase++;
    const eraseError = this.scenario.eraseError;
    if (eraseError && !this.fired.erase && this.counters.erase === eraseError.nth) {
      this.fired.erase = true;
      return { durationMs, reportedMs, complete: () => this.finishError(eraseError.status) };
    }
    const stuckBusy = this.scenario.stuckBusy;
    if (stuckBusy && !this.fired.stuck && this.counters.erase === stuckBusy.nth) {
      this.fired.stuck = true;
      return {
        durationMs,
        reportedMs,
        complete: () => {
          erase();
          this.state = DfuState.dfuDNBUSY;
          this.stuck = { release: stuckBusy.release };
        },
      };
    }
    return {
      durationMs,
      reportedMs,
      complete: () => {
        erase();
        this.finishOk();
      },
    };
  }

  private startWrite(block: number, data: Uint8Array): Operation {
    const timings = this.profile.timings;
    const address = this.pointer + (block - 2) * this.blockStride(data.length);
    const fail = (status: number): Operation => ({ durationMs: timings.setAddressMs, reportedMs: timings.reported.write, complete: () => this.finishError(status) });
    const found = this.memoryAt(address);
    if (!found) return fail(DfuStatus.errTARGET);
    if (this.rdp >= 1) return fail(DfuStatus.errVENDOR);
    const memory = found.memory;
    if (!memory.spec.isWritable || !memory.covers(address, data.length)) return fail(DfuStatus.errTARGET);
    this.checkAlternate(found.alternate, address);
    const protectedSector = memory.sectorAt(address);
    if (protectedSector && this.isWriteProtected(found.alternate, protectedSector.index)) return fail(DfuStatus.errWRITE);
    const programMs = (memory.spec.programBaseMs ?? 0) + (data.length / 1024) * memory.spec.programMsPerKiB;
    if (memory.isPhantom(address, data.length)) {
      return { durationMs: programMs, reportedMs: timings.reported.write, completesOnItsOwn: true, complete: () => this.hang() };
    }
    this.counters.write++;
    const writeError = this.scenario.writeError;
    if (writeError && !this.fired.write && this.counters.write === writeError.nth) {
      this.fired.write = true;
      return { durationMs: programMs, reportedMs: timings.reported.write, complete: () => this.finishError(writeError.status) };
    }
    if (memory.spec.kind === 'option-bytes') {
      this.stats.operations.optionBytes++;
      // AN2662: option-byte writes make the device reset after the dfuDNBUSY answer.
      return {
        durationMs: timings.optionBytesMs,
        reportedMs: timings.reported.optionBytes,
        completesOnItsOwn: this.scenario.noResetAfterOptionBytes !== true,
        complete: () => {
          memory.program(address, data);
          this.stats.bytesWritten += data.length;
          if (this.scenario.noResetAfterOptionBytes) this.finishOk();
          else this.resetDevice();
        },
      };
    }
    this.stats.operations.write++;
    return {
      durationMs: programMs,
      reportedMs: timings.reported.write,
      complete: () => {
        const outcome = memory.program(address, data);
        if (outcome.kind === 'error') {
          this.record('write-unerased', `DNLOAD at ${formatAddress(address)} into unerased flash: ${memory.spec.kind} refuses it at ${formatAddress(outcome.failedAt)}`);
          return this.finishError(DfuStatus.errPROG);
        }
        if (outcome.overwroteUnerased && (memory.spec.kind === 'flash' || memory.spec.kind === 'otp')) {
          const effect = outcome.keptOld ? 'the old data stays and no error is reported' : 'the result is old AND new';
          this.record('write-unerased', `DNLOAD at ${formatAddress(address)} (${data.length} bytes) into unerased ${memory.spec.kind}: ${effect}`);
        }
        this.stats.bytesWritten += data.length;
        this.finishOk();
      },
    };
  }

  private finishOk(): void {
    // ST's DFU class: after the operation the state is dfuDNLOAD-SYNC; the next GETSTATUS
    // answers dfuDNLOAD-IDLE.
    this.state = DfuState.dfuDNLOAD_SYNC;
    this.status = DfuStatus.OK;
  }

  private finishError(status: number): void {
    this.state = DfuState.dfuERROR;
    this.status = status;
  }

  /** An error answer to an UPLOAD: dfuERROR with `status`, and the request STALLs. */
  private failRequest(status: number, message: string): never {
    this.state = DfuState.dfuERROR;
    this.status = status;
    this.stats.stalls++;
    throw new TransferError('stall', `${message} (${statusName(status)})`);
  }

  // --- connection ------------------------------------------------------------------------------

  private powerOn(): void {
    this.hung = false;
    this.busy = undefined;
    this.pending = undefined;
    this.stuck = undefined;
    this.lastDataBlock = undefined;
    this.pointer = DEFAULT_POINTER;
    this.alternate = 0;
    // Option bytes are loaded at reset.
    const { address, layout } = this.profile.optionBytes;
    this.optionBytesMemory().load(address, loadedOptionBytes(layout, this.rawOptionBytes()));
    this.rdp = readRdpLevel(layout, this.rawOptionBytes());
    const errorAtConnect = this.scenario.errorAtConnect ?? this.profile.quirks.errorAtConnect;
    this.state = errorAtConnect ? DfuState.dfuERROR : DfuState.dfuIDLE;
    this.status = errorAtConnect ? DfuStatus.errFIRMWARE : DfuStatus.OK;
  }

  private disconnect(): void {
    if (!this.connected) return;
    this.connected = false;
    this.generation++;
    this.busy = undefined;
    this.pending = undefined;
    this.stuck = undefined;
    this.hung = false;
    for (const listener of this.listeners) listener(false);
  }

  private reconnect(): void {
    if (this.connected || this.isBrickedForGood) return;
    this.connected = true;
    this.deviceTime = Math.max(this.deviceTime, this.clock.now());
    this.powerOn();
    if (this.rdp === 2) {
      // RDP level 2 disables the system bootloader for good (PM0059): nothing comes back.
      this.connected = false;
      this.isBrickedForGood = true;
      return;
    }
    for (const listener of this.listeners) listener(true);
  }

  private scheduleReconnect(afterMs: number): void {
    this.cancelReconnect?.();
    this.cancelReconnect = scheduleOn(this.clock, afterMs, () => {
      this.cancelReconnect = undefined;
      this.reconnect();
    });
  }

  /** System reset after option bytes / read unprotect / detach: off the bus, back re-enumerated. */
  private resetDevice(): void {
    this.disconnect();
    this.scheduleReconnect(this.profile.timings.reenumerateMs);
  }

  private leaveDfu(): void {
    this.disconnect();
    if (this.reenterAfterLeaveMs !== undefined) this.scheduleReconnect(this.reenterAfterLeaveMs);
  }

  private hang(): void {
    this.hung = true;
  }

  // --- helpers ---------------------------------------------------------------------------------

  /** How far apart blocks are: wTransferSize, or (addressByLength) this request's length. */
  private blockStride(length: number): number {
    return this.scenario.addressFromRequestLength ? length : this.profile.transferSize;
  }

  private isWriteProtected(alternate: number, sectorIndex: number): boolean {
    return alternate === FLASH_ALTERNATE && (this.scenario.writeProtectedSectors ?? []).includes(sectorIndex);
  }

  private get isStrict(): boolean {
    return this.scenario.strict ?? this.profile.quirks.strict;
  }

  /** The memory holding an address: an alt setting's, or system memory (alternate -1). */
  private memoryAt(address: number): { alternate: number; memory: SimulatedMemory } | undefined {
    const alternate = this.memories.findIndex((memory) => memory.contains(address));
    const memory = this.memories[alternate];
    if (memory) return { alternate, memory };
    return this.systemMemory.contains(address) ? { alternate: -1, memory: this.systemMemory } : undefined;
  }

  private checkAlternate(alternate: number, address: number): void {
    if (alternate >= 0 && alternate !== this.alternate) {
      this.record(
        'wrong-alternate',
        `${formatAddress(address)} belongs to alt ${alternate} (${this.profile.alternates[alternate]?.descriptor.trim() ?? '?'}) but alt ${this.alternate} is selected`,
      );
    }
  }

  private optionBytesMemory(): SimulatedMemory {
    const memory = this.memories[this.profile.optionBytes.alternate];
    if (!memory) throw new RangeError(`profile ${this.profile.id} has no option-bytes alt setting`);
    return memory;
  }

  /** The option-bytes block holding RDP, as the chip loads it at reset. */
  private rawOptionBytes(): Uint8Array {
    const { address } = this.profile.optionBytes;
    const memory = this.optionBytesMemory();
    return memory.read(address, memory.view(address)?.length ?? 0);
  }

  private record(rule: ViolationRule, message: string): void {
    this.violations.push(`${rule}: ${message}`);
    this.violationLog.push({ rule, message, state: this.dfuState, atMs: this.clock.now() });
  }

  /** Records the misuse and answers like a real device: STALL, dfuERROR/errSTALLEDPKT. */
  private violate(rule: ViolationRule, message: string): never {
    this.record(rule, message);
    this.state = DfuState.dfuERROR;
    this.status = DfuStatus.errSTALLEDPKT;
    this.stuck = undefined;
    this.stats.stalls++;
    throw new ProtocolViolation(rule, message);
  }
}

/** Unique device ID (derived from the serial) and F_SIZE, in the profile's system-memory block. */
function buildSystemMemory(profile: SimulatorProfile, serial: string): SimulatedMemory {
  const { uniqueIdAddress, flashSizeAddress, flashSizeKiB } = profile.systemMemory;
  const start = Math.min(uniqueIdAddress, flashSizeAddress);
  const end = Math.max(uniqueIdAddress + 12, flashSizeAddress + 2);
  const bytes = new Uint8Array(end - start).fill(0xff);
  const id = crc32(new TextEncoder().encode(serial));
  for (let i = 0; i < 3; i++) writeU32LE(bytes, uniqueIdAddress - start + 4 * i, (id * (i + 1)) >>> 0);
  bytes[flashSizeAddress - start] = flashSizeKiB & 0xff;
  bytes[flashSizeAddress - start + 1] = (flashSizeKiB >>> 8) & 0xff;
  return new SimulatedMemory({
    kind: 'system',
    segments: [{ start, sectorCount: 1, sectorSize: bytes.length, initial: bytes }],
    // Per profile: a ROM that refuses UPLOADs outside its alt settings answers errTARGET.
    isReadable: profile.systemMemory.isReadable ?? true,
    isErasable: false,
    isWritable: false,
    erasedValue: 0xff,
    programUnit: 1,
    rewrite: 'overwrite',
    programMsPerKiB: 0,
  });
}

function statusReply(status: number, pollTimeoutMs: number, state: number): Uint8Array {
  return Uint8Array.of(status, pollTimeoutMs & 0xff, (pollTimeoutMs >>> 8) & 0xff, (pollTimeoutMs >>> 16) & 0xff, state, 0);
}
