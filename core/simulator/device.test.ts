import { readU24LE, u32LE } from '../bytes.js';
import {
  DFU_ABORT,
  DFU_CLRSTATUS,
  DFU_DETACH,
  DFU_DNLOAD,
  DFU_GETSTATE,
  DFU_GETSTATUS,
  DFU_UPLOAD,
  DfuState,
  DfuStatus,
} from '../dfu/spec.js';
import { TransferError } from '../usb/transport.js';
import { VirtualClock } from './clock.js';
import { SimulatedDevice } from './device.js';
import { profiles } from './profiles.js';
import type { SimulatorProfile } from './profiles.js';
import { ProtocolViolation } from './protocolViolation.js';
import { parseScenario } from './scenarios.js';

// A deliberately small host written from AN3156, independent of the product engine: it is what the
// tests use to drive the simulated bootloader request by request.
class Host {
  constructor(
    readonly device: SimulatedDevice,
    readonly clock: VirtualClock,
  ) {}

  async status(): Promise<{ status: number; pollTimeoutMs: number; state: number }> {
    const reply = await this.device.controlIn(DFU_GETSTATUS, 0, 6);
    return { status: reply[0]!, pollTimeoutMs: readU24LE(reply, 1), state: reply[4]! };
  }

  async state(): Promise<number> {
    return (await this.device.controlIn(DFU_GETSTATE, 0, 1))[0]!;
  }

  clear(): Promise<number> {
    return this.device.controlOut(DFU_CLRSTATUS, 0);
  }

  abort(): Promise<number> {
    return this.device.controlOut(DFU_ABORT, 0);
  }

  /** dfu-util-like start-up: dfuERROR → CLRSTATUS, *-IDLE → ABORT. */
  async toIdle(): Promise<void> {
    for (let i = 0; i < 4; i++) {
      const { state } = await this.status();
      if (state === DfuState.dfuIDLE) return;
      if (state === DfuState.dfuERROR) await this.clear();
      else await this.abort();
    }
    throw new Error('could not reach dfuIDLE');
  }

  /** DNLOAD then poll until not busy, sleeping the reported poll timeout. Returns the final status. */
  async dnload(block: number, data: Uint8Array): Promise<{ status: number; state: number; firstPollMs: number }> {
    await this.device.controlOut(DFU_DNLOAD, block, data);
    const first = await this.status();
    expect(first.state).toBe(DfuState.dfuDNBUSY);
    let last = first;
    while (last.state === DfuState.dfuDNBUSY) {
      await this.clock.sleep(last.pollTimeoutMs);
      last = await this.status();
    }
    return { status: last.status, state: last.state, firstPollMs: first.pollTimeoutMs };
  }

  async command(bytes: number[]): Promise<{ status: number; state: number; firstPollMs: number }> {
    return this.dnload(0, Uint8Array.from(bytes));
  }

  setAddress(address: number) {
    return this.command([0x21, ...u32LE(address)]);
  }

  erase(address: number) {
    return this.command([0x41, ...u32LE(address)]);
  }

  async expectOk(result: Promise<{ status: number; state: number }>): Promise<void> {
    const { status, state } = await result;
    expect({ status, state }).toEqual({ status: DfuStatus.OK, state: DfuState.dfuDNLOAD_IDLE });
  }

  async write(address: number, data: Uint8Array): Promise<void> {
    const size = this.device.profile.transferSize;
    for (let offset = 0; offset < data.length; offset += size) {
      await this.expectOk(this.setAddress(address + offset));
      await this.expectOk(this.dnload(2, data.subarray(offset, offset + size)));
    }
  }

  async read(address: number, length: number): Promise<Uint8Array> {
    await this.expectOk(this.setAddress(address));
    await this.abort();
    const size = this.device.profile.transferSize;
    const out = new Uint8Array(length);
    for (let block = 2, offset = 0; offset < length; block++, offset += size) {
      const chunk = await this.device.controlIn(DFU_UPLOAD, block, size);
      out.set(chunk.subarray(0, Math.min(chunk.length, length - offset)), offset);
      if (chunk.length < size) break;
    }
    await this.abort();
    return out;
  }
}

function setup(profile: SimulatorProfile, scenario = '') {
  const clock = new VirtualClock();
  const device = new SimulatedDevice({ profile, scenario: parseScenario(scenario), clock });
  return { clock, device, host: new Host(device, clock) };
}

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff || 1);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('SimulatedDevice: STM32L073 (healthy)', () => {
  it('starts in dfuERROR/errFIRMWARE and CLRSTATUS brings it to dfuIDLE', async () => {
    const { host } = setup(profiles.stm32l073!);
    expect(await host.status()).toMatchObject({ status: DfuStatus.errFIRMWARE, state: DfuState.dfuERROR });
    await host.clear();
    expect(await host.status()).toMatchObject({ status: DfuStatus.OK, state: DfuState.dfuIDLE });
  });

  it('erases pages, writes 2 KB chunks and reads them back', async () => {
    const { host, device } = setup(profiles.stm32l073!);
    await host.toIdle();
    for (let page = 0; page < 32; page++) await host.expectOk(host.erase(0x08000000 + page * 128));
    const image = pattern(4096, 3);
    await host.write(0x08000000, image);
    expect(await host.read(0x08000000, 4096)).toEqual(image);
    expect(device.violations).toEqual([]);
    expect(device.stats.operations.erase).toBe(32);
    expect(device.stats.operations.write).toBe(2);
  });

  it('keeps the old data silently when writing over unerased flash (the founding failure)', async () => {
    const { host, device } = setup(profiles.stm32l073!);
    await host.toIdle();
    const old = device.peek(0x08000000, 2048);
    expect(old.some((byte) => byte !== 0)).toBe(true);
    const image = pattern(2048, 9);
    // Same stack pointer as the old image, different reset vector: the report's first mismatch.
    image.set(old.subarray(0, 4), 0);
    await host.write(0x08000000, image); // every status OK
    const back = await host.read(0x08000000, 2048);
    expect(back).toEqual(old);
    expect(back).not.toEqual(image);
    expect(device.violations.some((v) => v.startsWith('write-unerased') && v.includes('old data stays'))).toBe(true);
  });

  it('erased value is 0x00 and the data EEPROM is writable without erase', async () => {
    const { host, device } = setup(profiles.stm32l073!);
    await host.toIdle();
    await host.expectOk(host.erase(0x08000080));
    expect(device.peek(0x08000080, 128).every((byte) => byte === 0)).toBe(true);
    expect(await host.erase(0x08080000)).toMatchObject({ status: DfuStatus.errTARGET, state: DfuState.dfuERROR });
    await host.clear();
    await host.abort();
    await device.selectAlternate(2);
    await host.write(0x08080000, pattern(64, 1));
    await host.write(0x08080000, pattern(64, 2));
    expect(device.peek(0x08080000, 64)).toEqual(pattern(64, 2));
    expect(device.violations).toEqual([]);
  });
});

describe('SimulatedDevice: STM32F405 (healthy)', () => {
  it('starts in dfuIDLE, erases a 16 KB sector in realistic time and ANDs over unerased flash', async () => {
    const { host, device, clock } = setup(profiles.stm32f405!);
    expect(await host.status()).toMatchObject({ status: DfuStatus.OK, state: DfuState.dfuIDLE });
    const before = clock.now();
    const erase = await host.erase(0x08004000);
    expect(erase).toMatchObject({ status: DfuStatus.OK, state: DfuState.dfuDNLOAD_IDLE, firstPollMs: 100 });
    expect(clock.now() - before).toBeGreaterThanOrEqual(400);
    expect(device.peek(0x08004000, 16384).every((byte) => byte === 0xff)).toBe(true);
    await host.write(0x08004000, Uint8Array.of(0xf0, 0x0f, 0xff, 0x00));
    await host.write(0x08004000, Uint8Array.of(0x3c, 0x3c, 0x3c, 0x3c));
    expect(device.peek(0x08004000, 4)).toEqual(Uint8Array.of(0x30, 0x0c, 0x3c, 0x00));
    expect(device.violations.filter((v) => v.startsWith('write-unerased'))).toHaveLength(1);
  });

  it('mass erase reports 100 ms but holds the next GETSTATUS for the real duration', async () => {
    const { host, device, clock } = setup(profiles.stm32f405!, 'slowMassErase:1');
    await device.controlOut(DFU_DNLOAD, 0, Uint8Array.of(0x41));
    const start = clock.now();
    expect(await host.status()).toMatchObject({ state: DfuState.dfuDNBUSY, pollTimeoutMs: 100 });
    await clock.sleep(100);
    // dfu-util's 5 s control timeout: the device NAKs EP0 for the whole 16 s erase.
    expect(await rejection(host.status())).toMatchObject({ failure: 'timeout' });
    await clock.sleep(12_000);
    expect(await host.status()).toMatchObject({ status: DfuStatus.OK, state: DfuState.dfuDNLOAD_IDLE });
    expect(clock.now() - start).toBeGreaterThanOrEqual(16_000);
    expect(device.peek(0x08000000, 1024).every((byte) => byte === 0xff)).toBe(true);
  });
});

describe('SimulatedDevice: state machine', () => {
  it('rejects a DNLOAD that was not polled with GETSTATUS: STALL, dfuERROR, recorded', async () => {
    const { host, device } = setup(profiles.stm32f405!);
    await device.controlOut(DFU_DNLOAD, 0, Uint8Array.of(0x21, ...u32LE(0x08000000)));
    const error = await rejection(device.controlOut(DFU_DNLOAD, 2, pattern(16, 0)));
    expect(error).toBeInstanceOf(ProtocolViolation);
    expect(error).toBeInstanceOf(TransferError);
    expect((error as TransferError).failure).toBe('stall');
    expect(await host.status()).toMatchObject({ status: DfuStatus.errSTALLEDPKT, state: DfuState.dfuERROR });
    expect(device.violations[0]).toMatch(/^wrong-state: DNLOAD in dfuDNLOAD-SYNC/);
  });

  it('needs ABORT before UPLOAD after a command, and GETSTATE reports without changing state', async () => {
    const { host, device } = setup(profiles.stm32f405!);
    await host.expectOk(host.setAddress(0x08000000));
    expect(await host.state()).toBe(DfuState.dfuDNLOAD_IDLE);
    expect(await rejection(device.controlIn(DFU_UPLOAD, 2, 2048))).toBeInstanceOf(ProtocolViolation);
    expect(device.violations[0]).toMatch(/UPLOAD in dfuDNLOAD-IDLE: ABORT/);
    await host.clear();
    expect(await host.state()).toBe(DfuState.dfuIDLE);
  });

  it('a DETACH in DFU mode re-enumerates the device', async () => {
    const { device, clock } = setup(profiles.stm32f405!);
    await device.controlOut(DFU_DETACH, 1000);
    expect(device.isConnected).toBe(false);
    clock.advance(1000);
    expect(device.isConnected).toBe(true);
  });
});
