import { DFU_CLRSTATUS, DFU_GETSTATUS, DfuState, DfuStatus } from '../dfu/spec.js';
import { quirksFor, type Stm32Family } from '../devices/stm32.js';
import type { DfuError } from '../errors.js';
import { VirtualClock } from '../clock.js';
import { TransferError, type DfuTransport } from '../usb/transport.js';
import { BusyPoller, type Operation, type PollingStrategy } from './poll.js';

type Behaviour = 'hold' | 'answer-busy' | 'stall' | 'io' | 'first-held' | 'flaky';

/**
 * Just enough of a bootloader to exercise the wait: each op() queues an operation of `durationMs`
 * that starts on the next GETSTATUS; while it runs, a GETSTATUS is held, answered dfuDNBUSY, or
 * STALLed. A held request gives up after `hostTimeoutMs` like libusb does.
 */
class BusyDevice implements DfuTransport {
  polls = 0;
  clears = 0;
  /** Clock time of every GETSTATUS. */
  readonly pollTimes: number[] = [];
  /** Host-side delay of the reply to the GETSTATUS that starts an operation (a loaded host). */
  firstReplyDelayMs = 0;
  /** 'flaky': fails (STALL, then EPROTO, alternating) every `flakyEvery`-th early poll, else answers busy. */
  flakyEvery = 2;
  private flakyCount = 0;
  private pending: number | undefined;
  private endsAt = -1;
  private stuck = false;
  private state: number = DfuState.dfuIDLE;
  private status: number = DfuStatus.OK;

  constructor(
    private readonly clock: VirtualClock,
    private readonly behaviour: Behaviour,
    private readonly reportedMs: number,
    private readonly hostTimeoutMs = 5_000,
  ) {}

  op(durationMs: number, options: { stuck?: 'release-on-two-clears' | 'forever' } = {}): void {
    this.pending = durationMs;
    this.stuckMode = options.stuck;
    this.state = DfuState.dfuDNLOAD_SYNC;
  }

  private stuckMode: 'release-on-two-clears' | 'forever' | undefined;

  async controlIn(request: number): Promise<Uint8Array> {
    if (request !== DFU_GETSTATUS) throw new Error('unexpected request');
    this.polls++;
    this.pollTimes.push(this.clock.now());
    await this.clock.sleep(1); // wire time
    if (this.pending !== undefined) {
      this.endsAt = this.clock.now() + this.pending;
      this.pending = undefined;
      this.state = DfuState.dfuDNBUSY;
      // Some bootloaders run the operation inside the first GETSTATUS and answer dfuDNBUSY after it.
      if (this.behaviour === 'first-held') await this.clock.sleep(this.endsAt - this.clock.now());
      const reply = this.reply();
      if (this.firstReplyDelayMs > 0) await this.clock.sleep(this.firstReplyDelayMs);
      return reply;
    }
    if (this.state === DfuState.dfuDNBUSY && !this.stuck && this.clock.now() < this.endsAt) {
      if (this.behaviour === 'stall') throw new TransferError('stall', 'busy');
      if (this.behaviour === 'io') throw new TransferError('io', 'LIBUSB_ERROR_IO (EPROTO)');
      if (this.behaviour === 'flaky' && ++this.flakyCount % this.flakyEvery === 0) {
        throw this.flakyCount % (2 * this.flakyEvery) === 0 ? new TransferError('io', 'LIBUSB_ERROR_IO (EPROTO)') : new TransferError('stall', 'busy');
      }
      if (this.behaviour === 'hold' || this.behaviour === 'first-held') {
        const wait = this.endsAt - this.clock.now();
        if (wait > this.hostTimeoutMs) {
          await this.clock.sleep(this.hostTimeoutMs);
          throw new TransferError('timeout', 'held too long');
        }
        await this.clock.sleep(wait);
      } else return this.reply();
    }
    if (this.state === DfuState.dfuDNBUSY && !this.stuck) {
      if (this.stuckMode) this.stuck = true;
      else this.state = DfuState.dfuDNLOAD_IDLE;
    }
    return this.reply();
  }

  controlOut(request: number): Promise<number> {
    if (request === DFU_CLRSTATUS) {
      this.clears++;
      if (this.stuck && this.stuckMode === 'release-on-two-clears') {
        this.stuck = false;
        this.stuckMode = undefined;
        this.state = DfuState.dfuERROR;
        this.status = DfuStatus.errUNKNOWN;
      } else if (!this.stuck && this.state === DfuState.dfuERROR) {
        this.state = DfuState.dfuIDLE;
        this.status = DfuStatus.OK;
      }
    }
    return Promise.resolve(0);
  }

  selectAlternate(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private reply(): Uint8Array {
    const state = this.stuck ? DfuState.dfuDNBUSY : this.state;
    const poll = state === DfuState.dfuDNBUSY ? this.reportedMs : 0;
    return Uint8Array.of(this.status, poll & 0xff, (poll >> 8) & 0xff, poll >> 16, state, 0);
  }
}

function setup(behaviour: Behaviour, reportedMs: number, options: { family?: Stm32Family; strategy?: PollingStrategy; hostTimeoutMs?: number } = {}) {
  const clock = new VirtualClock();
  const device = new BusyDevice(clock, behaviour, reportedMs, options.hostTimeoutMs);
  const family = options.family ?? 'F4';
  const logs: string[] = [];
  const poller = new BusyPoller({
    transport: device,
    clock,
    family,
    quirks: quirksFor({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, family }),
    strategy: options.strategy ?? 'adaptive',
    log: (_level, message) => logs.push(message),
  });
  return { clock, device, poller, logs };
}

const write: Operation = { kind: 'write', bytes: 2048, during: 'write of 2048 bytes at 0x08000000' };
const erase: Operation = { kind: 'erase', bytes: 128 * 1024, during: 'erase of sector 5 at 0x08020000' };

describe('BusyPoller (adaptive)', () => {
  it('waits bwPollTimeout (bounded by the expected duration) until a held GETSTATUS shows the device holds, then polls at once', async () => {
    const { clock, device, poller } = setup('hold', 500);
    expect(poller.holdBehaviour).toBe('unknown');
    device.op(0);
    await poller.afterDnload({ kind: 'set-address', during: 'set address' }); // a plain round trip to compare against
    device.op(40);
    const t0 = clock.now();
    const outcome = await poller.afterDnload(write);
    // F4: 2048 bytes are expected to take 8 ms (timing.ts), less than the reported 500 ms.
    expect(outcome).toMatchObject({ polls: 2, stalls: 0, sleptMs: 8, reportedPollMs: 500, recoveredFromStuckBusy: false });
    expect(outcome.reply.state).toBe(DfuState.dfuDNLOAD_IDLE);
    // 1 ms for the GETSTATUS that starts the work, 8 ms asleep, the rest inside the held poll.
    expect(clock.now() - t0).toBe(41);
    expect(poller.mode).toBe('hold');
    device.op(40);
    const t1 = clock.now();
    const next = await poller.afterDnload(write);
    expect(next).toMatchObject({ polls: 2, sleptMs: 0 });
    expect(clock.now() - t1).toBe(41);
  });

  it('never polls a device that answers early sooner than bwPollTimeout after its dfuDNBUSY (bounded by the expected duration)', async () => {
    const { device, poller } = setup('answer-busy', 20);
    device.op(30);
    await poller.afterDnload(write);
    // First GETSTATUS at 0 answers at 1 ms; the next may not come before 1 + min(20, 8) ms.
    expect(device.pollTimes[1]! - device.pollTimes[0]!).toBeGreaterThanOrEqual(1 + 8);
    const big = setup('answer-busy', 20);
    big.device.op(3000);
    await big.poller.afterDnload(erase);
    // 128 KB on F4 is expected to take 1.43 s: the report (20 ms) is the wait.
    expect(big.device.pollTimes[1]! - big.device.pollTimes[0]!).toBeGreaterThanOrEqual(21);
    expect(big.poller.mode).toBe('sleep');
  });

  it('learns from a first GETSTATUS that is held for the whole operation and then sleeps no more', async () => {
    const { clock, device, poller } = setup('first-held', 100);
    device.op(0);
    await poller.afterDnload(write);
    let slept = 0;
    let total = 0;
    for (let i = 0; i < 5; i++) {
      device.op(30);
      const t0 = clock.now();
      const outcome = await poller.afterDnload(write);
      expect(outcome.reply.state).toBe(DfuState.dfuDNLOAD_IDLE);
      slept += outcome.sleptMs;
      total += clock.now() - t0;
    }
    expect(poller.mode).toBe('hold');
    expect(slept).toBe(0);
    expect(total).toBe(5 * (1 + 30 + 1));
  });

  it('learns that a device answers busy early, switches to timed polling and converges near the real duration', async () => {
    const { clock, device, poller } = setup('answer-busy', 1000);
    const durations: number[] = [];
    for (let i = 0; i < 20; i++) {
      device.op(30);
      const t0 = clock.now();
      await poller.afterDnload(write);
      durations.push(clock.now() - t0);
    }
    expect(poller.mode).toBe('sleep');
    const settled = durations.slice(10);
    expect(Math.max(...settled)).toBeLessThan(30 * 1.25);
    expect(device.polls / 20).toBeLessThan(4);
  });

  it('counts STALLs as busy on L4-like devices and ends up within a few percent of the real duration', async () => {
    const { clock, device, poller, logs } = setup('stall', 10, { family: 'L4' });
    expect(poller.mode).toBe('sleep'); // the quirk is known: no need to find out with a STALL
    let total = 0;
    let stalls = 0;
    for (let i = 0; i < 40; i++) {
      device.op(24);
      const t0 = clock.now();
      const outcome = await poller.afterDnload(erase);
      if (i >= 20) total += clock.now() - t0;
      stalls += outcome.stalls;
    }
    expect(stalls).toBeGreaterThan(0);
    expect(total / 20).toBeLessThan((24 + 2) * 1.15);
    expect(logs.some((m) => /stalled: counted as busy/.test(m))).toBe(true);
  });

  it('waits out a mass erase longer than a held transfer (F405: reported 100 ms, really 16 s)', async () => {
    const { clock, device, poller } = setup('hold', 100, { family: 'F4' });
    device.op(16_000);
    const t0 = clock.now();
    const outcome = await poller.afterDnload({ kind: 'mass-erase', bytes: 1 << 20, during: 'mass erase' });
    expect(outcome.reply.state).toBe(DfuState.dfuDNLOAD_IDLE);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(16_000);
    expect(clock.now() - t0).toBeLessThan(16_010);
  });

  it('releases an H7 stuck in dfuDNBUSY with two CLRSTATUS soon after the expected duration', async () => {
    const { clock, device, poller } = setup('hold', 1000, { family: 'H7' });
    device.op(1500, { stuck: 'release-on-two-clears' });
    const t0 = clock.now();
    const outcome = await poller.afterDnload(erase);
    expect(outcome.recoveredFromStuckBusy).toBe(true);
    expect(outcome.reply).toMatchObject({ state: DfuState.dfuIDLE, status: DfuStatus.OK });
    expect(device.clears).toBe(2);
    expect(clock.now() - t0).toBeLessThan(8_000);
  });

  it('gives a device without the quirk the full budget before trying CLRSTATUS, then a timeout naming the operation', async () => {
    const { clock, device, poller } = setup('hold', 100, { family: 'F4' });
    device.op(500, { stuck: 'forever' });
    const t0 = clock.now();
    const error = (await poller.afterDnload(erase).catch((e: unknown) => e)) as DfuError;
    expect(error.info).toMatchObject({ kind: 'timeout', during: 'erase of sector 5 at 0x08020000' });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(10_000);
    expect(device.clears).toBe(2);
  });

  it('gives up with a transport error when GETSTATUS keeps stalling', async () => {
    const { device, poller, clock } = setup('stall', 1, { family: 'F4' });
    device.op(60_000);
    const t0 = clock.now();
    const error = (await poller.afterDnload(write).catch((e: unknown) => e)) as DfuError;
    expect(error.info).toMatchObject({ kind: 'transport', during: write.during });
    expect((error.info as { detail: string }).detail).toMatch(/stalled or failed \d+ times in a row/);
    // More than 8 in a row, for at least a second: polls close together are not enough to give up.
    expect(device.polls).toBeGreaterThan(9);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(clock.now() - t0).toBeLessThan(5_000);
  });
});

describe('BusyPoller: a device that answers early stays timed', () => {
  it('a slow first reply later (host load) does not make it a holding device', async () => {
    const { device, poller } = setup('answer-busy', 20);
    device.op(0);
    await poller.afterDnload({ kind: 'set-address', during: 'set address' }, { roundTripMs: 1, bytes: 5 });
    device.op(30);
    await poller.afterDnload(write);
    expect(poller.holdBehaviour).toBe('answers-early');
    // The first reply of the next operation arrives late (a loaded host), the operation long over.
    device.firstReplyDelayMs = 40;
    device.op(30);
    const outcome = await poller.afterDnload(write);
    expect(outcome.reply.state).toBe(DfuState.dfuDNLOAD_IDLE);
    expect(poller.holdBehaviour).toBe('answers-early');
  });
});

describe('BusyPoller: failed polls while busy', () => {
  it('counts I/O errors (EPROTO on Linux) while busy as busy and finishes', async () => {
    const { device, poller, logs } = setup('io', 5, { family: 'L4' });
    device.op(100);
    const outcome = await poller.afterDnload(erase);
    expect(outcome.reply.state).toBe(DfuState.dfuDNLOAD_IDLE);
    expect(outcome.stalls).toBeGreaterThan(0);
    expect(logs.some((m) => /I\/O error\): counted as busy/.test(m))).toBe(true);
  });

  it('survives STALLs and I/O errors mixed with busy answers over a long operation, however many in all', async () => {
    const { device, poller } = setup('flaky', 5, { family: 'F4' });
    device.flakyEvery = 2;
    device.op(30_000);
    const outcome = await poller.afterDnload({ kind: 'mass-erase', bytes: 1 << 20, during: 'mass erase' });
    expect(outcome.reply.state).toBe(DfuState.dfuDNLOAD_IDLE);
    expect(outcome.stalls).toBeGreaterThan(8);
  });

  it('gives up on a device whose every poll fails, with the count in the message', async () => {
    const { device, poller } = setup('io', 1, { family: 'F4' });
    device.op(60_000);
    const error = (await poller.afterDnload(write).catch((e: unknown) => e)) as DfuError;
    expect(error.info).toMatchObject({ kind: 'transport', during: write.during });
  });

  it('does not treat a disconnect while busy as busy', async () => {
    const { clock, poller } = setup('hold', 5, { family: 'F4' });
    let calls = 0;
    const gone: DfuTransport = {
      controlIn: () => (++calls === 1 ? Promise.resolve(Uint8Array.of(0, 5, 0, 0, DfuState.dfuDNBUSY, 0)) : Promise.reject(new TransferError('disconnected', 'gone'))),
      controlOut: () => Promise.resolve(0),
      selectAlternate: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const other = new BusyPoller({ transport: gone, clock, family: 'F4', quirks: [], strategy: 'adaptive', log: () => undefined });
    const error = (await other.afterDnload(write).catch((e: unknown) => e)) as DfuError;
    expect(error.info.kind).toBe('device-gone');
    expect(poller.mode).toBe('sleep');
  });

  it('does not send CLRSTATUS to an H7 before the longest real 128 KB sector erase (4 s), even when it answers busy early', async () => {
    const { device, poller } = setup('answer-busy', 100, { family: 'H7' });
    device.op(3_900);
    const outcome = await poller.afterDnload(erase);
    expect(outcome.recoveredFromStuckBusy).toBe(false);
    expect(outcome.reply.state).toBe(DfuState.dfuDNLOAD_IDLE);
    expect(device.clears).toBe(0);
  });
});

describe('BusyPoller (reported, the dfu-util 0.11 baseline)', () => {
  it('sleeps the reported timeout after every GETSTATUS', async () => {
    const { clock, device, poller } = setup('hold', 100, { strategy: 'reported' });
    device.op(30);
    const t0 = clock.now();
    const outcome = await poller.afterDnload(write);
    expect(outcome.sleptMs).toBe(100);
    expect(clock.now() - t0).toBe(1 + 100 + 1);
  });

  it('applies dfu-util\'s 35 s rule to a mass erase that reports 100 ms', async () => {
    const { clock, device, poller } = setup('hold', 100, { strategy: 'reported' });
    device.op(16_000);
    const t0 = clock.now();
    await poller.afterDnload({ kind: 'mass-erase', bytes: 1 << 20, during: 'mass erase' });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(35_000);
  });
});
