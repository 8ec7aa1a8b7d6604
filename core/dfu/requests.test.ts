import { DfuError } from '../errors.js';
import { TransferError, type Clock, type DfuTransport } from '../usb/transport.js';
import { abort, decodeStatus, dnload, getStatus, recoverToIdle, toRequestError, transferFailureOf, upload } from './requests.js';
import { DFU_ABORT, DFU_CLRSTATUS, DFU_DNLOAD, DFU_GETSTATUS, DfuState, DfuStatus } from './spec.js';

/** A tiny state machine that knows only what the recovery loop exercises. */
class FakeDevice implements DfuTransport {
  state: number = DfuState.dfuIDLE;
  status: number = DfuStatus.OK;
  readonly requests: string[] = [];
  stallClearOutsideError = true;
  failWith?: TransferError;

  controlIn(request: number, value: number, length: number): Promise<Uint8Array> {
    this.requests.push(`in ${request}`);
    if (this.failWith) return Promise.reject(this.failWith);
    if (request === DFU_GETSTATUS) {
      const reply = Uint8Array.of(this.status, 0x34, 0x12, 0x00, this.state, 0);
      if (this.state === DfuState.dfuDNBUSY) this.state = DfuState.dfuDNLOAD_IDLE;
      return Promise.resolve(reply);
    }
    return Promise.resolve(new Uint8Array(Math.min(length, value)));
  }

  controlOut(request: number, value: number, data?: Uint8Array): Promise<number> {
    this.requests.push(`out ${request}`);
    if (this.failWith) return Promise.reject(this.failWith);
    if (request === DFU_CLRSTATUS) {
      // STM32C5 behaviour (Betaflight): CLRSTATUS outside dfuERROR is STALLed.
      if (this.state !== DfuState.dfuERROR && this.stallClearOutsideError) return Promise.reject(new TransferError('stall', 'stall'));
      this.state = DfuState.dfuIDLE;
      this.status = DfuStatus.OK;
    }
    if (request === DFU_ABORT) this.state = DfuState.dfuIDLE;
    return Promise.resolve(data?.length ?? 0);
  }

  selectAlternate(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const instantClock: Clock & { slept: number[] } = {
  slept: [],
  now: () => 0,
  sleep(ms: number) {
    this.slept.push(ms);
    return Promise.resolve();
  },
};

describe('DFU requests', () => {
  it('decodes a GETSTATUS reply with its 24-bit little-endian poll timeout', () => {
    expect(decodeStatus(Uint8Array.of(0x0a, 0x64, 0x01, 0x02, 10, 0))).toEqual({
      status: 0x0a,
      pollTimeoutMs: 0x020164,
      state: 10,
      stringIndex: 0,
    });
  });

  it('rejects a short GETSTATUS reply as a transport error', () => {
    expect(() => decodeStatus(Uint8Array.of(0, 0, 0), 'erase')).toThrowError(/GETSTATUS returned 3 bytes/);
  });

  it('maps a disconnect to device-gone and keeps the transfer failure reachable', async () => {
    const device = new FakeDevice();
    device.failWith = new TransferError('disconnected', 'LIBUSB_ERROR_NO_DEVICE');
    const error = await getStatus(device, 'write at 0x08000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DfuError);
    expect((error as DfuError).info).toEqual({ kind: 'device-gone', during: 'write at 0x08000000' });
    expect(transferFailureOf(error)).toBe('disconnected');
  });

  it('maps a stall to a transport error naming the operation', async () => {
    const device = new FakeDevice();
    device.failWith = new TransferError('stall', 'pipe');
    const error = (await dnload(device, 2, new Uint8Array(4), 'write chunk').catch((e: unknown) => e)) as DfuError;
    expect(error.info).toMatchObject({ kind: 'transport', during: 'write chunk' });
    expect(transferFailureOf(error)).toBe('stall');
    expect(toRequestError(error, 'other')).toBe(error);
  });

  it('sends DNLOAD, UPLOAD and ABORT with the right request codes and block numbers', async () => {
    const device = new FakeDevice();
    await dnload(device, 2, new Uint8Array(8), 'x');
    expect(await upload(device, 7, 16, 'x')).toHaveLength(7);
    await abort(device, 'x');
    expect(device.requests).toEqual([`out ${DFU_DNLOAD}`, 'in 2', `out ${DFU_ABORT}`]);
  });
});

describe('recoverToIdle', () => {
  it('clears dfuERROR/errFIRMWARE seen at first contact (L0, L1, F4 logs)', async () => {
    const device = new FakeDevice();
    device.state = DfuState.dfuERROR;
    device.status = DfuStatus.errFIRMWARE;
    const reply = await recoverToIdle(device, { clock: instantClock });
    expect(reply.state).toBe(DfuState.dfuIDLE);
    expect(device.requests).toEqual([`in ${DFU_GETSTATUS}`, `out ${DFU_CLRSTATUS}`, `in ${DFU_GETSTATUS}`]);
  });

  it('uses ABORT, never CLRSTATUS, in dfuDNLOAD-IDLE and dfuUPLOAD-IDLE (STM32C5 stalls CLRSTATUS)', async () => {
    for (const state of [DfuState.dfuDNLOAD_IDLE, DfuState.dfuUPLOAD_IDLE]) {
      const device = new FakeDevice();
      device.state = state;
      await recoverToIdle(device, { clock: instantClock });
      expect(device.requests).toEqual([`in ${DFU_GETSTATUS}`, `out ${DFU_ABORT}`, `in ${DFU_GETSTATUS}`]);
    }
  });

  it('waits out a busy device, bounded, then aborts to idle', async () => {
    const device = new FakeDevice();
    device.state = DfuState.dfuDNBUSY;
    instantClock.slept.length = 0;
    const steps: string[] = [];
    await recoverToIdle(device, { clock: instantClock, onStep: (s) => steps.push(s.action) });
    expect(steps).toEqual(['wait', 'abort', 'none']);
    expect(instantClock.slept).toEqual([0x1234]);
  });

  it('refuses a device in manifestation or run-time mode with unexpected-state', async () => {
    const device = new FakeDevice();
    device.state = DfuState.dfuMANIFEST_WAIT_RESET;
    const error = (await recoverToIdle(device, { clock: instantClock }).catch((e: unknown) => e)) as DfuError;
    expect(error.info).toMatchObject({ kind: 'unexpected-state', actual: DfuState.dfuMANIFEST_WAIT_RESET });
  });

  it('gives up with the device status when dfuERROR keeps coming back', async () => {
    const device = new FakeDevice();
    device.state = DfuState.dfuERROR;
    device.status = DfuStatus.errVENDOR;
    device.controlOut = () => Promise.resolve(0);
    const error = (await recoverToIdle(device, { clock: instantClock, maxAttempts: 2 }).catch((e: unknown) => e)) as DfuError;
    expect(error.info).toMatchObject({ kind: 'device-status', status: DfuStatus.errVENDOR, state: DfuState.dfuERROR });
  });
});
