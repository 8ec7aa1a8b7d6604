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
import { VirtualClock } from '../clock.js';
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
    let stalls = 0;
    while (last.state === DfuState.dfuDNBUSY) {
      await this.clock.sleep(last.pollTimeoutMs);
      try {
        last = await this.status();
      } catch (error) {
        // dfu-util: a STALLed GETSTATUS during an erase means "still busy" (up to 3 times).
        if (!(error instanceof TransferError) || error.failure !== 'stall' || ++stalls > 3) throw error;
      }
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

function sectorStarts(profile: SimulatorProfile, start: number, end: number): number[] {
  const out: number[] = [];
  for (const segment of profile.alternates[0]!.memory.segments) {
    for (let i = 0; i < segment.sectorCount; i++) {
      const sector = segment.start + i * segment.sectorSize;
      if (sector < end && sector + segment.sectorSize > start) out.push(sector);
    }
  }
  return out;
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

describe('SimulatedDevice: DfuSe commands', () => {
  it('GET_COMMANDS lists 0x00 0x21 0x41 0x92 and returns to dfuIDLE', async () => {
    const { host, device } = setup(profiles.stm32f405!);
    expect(await device.controlIn(DFU_UPLOAD, 0, 2048)).toEqual(Uint8Array.of(0x00, 0x21, 0x41, 0x92));
    expect(await host.state()).toBe(DfuState.dfuIDLE);
  });

  it('set address outside every alt setting ends in errTARGET and keeps the old pointer', async () => {
    const { host, device } = setup(profiles.stm32f405!);
    await host.expectOk(host.setAddress(0x08010000));
    expect(await host.setAddress(0x30000000)).toMatchObject({ status: DfuStatus.errTARGET, state: DfuState.dfuERROR });
    expect(device.addressPointer).toBe(0x08010000);
  });

  it('erases the sector containing the address; strict profiles record the unaligned address', async () => {
    for (const [scenario, expected] of [
      ['', 0],
      ['strict', 1],
    ] as const) {
      const { host, device } = setup(profiles.stm32f405!, scenario);
      await host.expectOk(host.erase(0x08004010));
      expect(device.peek(0x08004000, 16384).every((byte) => byte === 0xff)).toBe(true);
      expect(device.erasedSectors(0).slice(0, 3)).toEqual([false, true, false]);
      expect(device.violations.filter((v) => v.startsWith('unaligned-erase'))).toHaveLength(expected);
    }
  });

  it('erasing option bytes (type e, not erasable) is errTARGET', async () => {
    const { host, device } = setup(profiles.stm32f405!);
    await device.selectAlternate(1);
    expect(await host.erase(0x1fffc000)).toMatchObject({ status: DfuStatus.errTARGET, state: DfuState.dfuERROR });
  });

  it('mass erase (0x41 alone) erases the whole internal flash', async () => {
    const { host, device } = setup(profiles.stm32l073!);
    await host.toIdle();
    expect(device.peek(0x08000000, 16).some((byte) => byte !== 0)).toBe(true);
    await host.expectOk(host.command([0x41]));
    expect(device.memory(0).every((byte) => byte === 0)).toBe(true);
    expect(device.stats.operations.massErase).toBe(1);
  });

  it('an unknown command ends in errSTALLEDPKT and is recorded', async () => {
    const { host, device } = setup(profiles.stm32f405!);
    expect(await host.command([0x55, 1, 2])).toMatchObject({ status: DfuStatus.errSTALLEDPKT, state: DfuState.dfuERROR });
    expect(device.violations[0]).toMatch(/^bad-command/);
  });

  it('places block n at pointer + (n-2) x wTransferSize, for writes and reads', async () => {
    const { host, device } = setup(profiles.stm32f405!, 'blank');
    const size = profiles.stm32f405!.transferSize;
    await host.expectOk(host.setAddress(0x08000000));
    for (const block of [2, 3, 5]) await host.expectOk(host.dnload(block, pattern(size, block)));
    expect(device.peek(0x08000000, size)).toEqual(pattern(size, 2));
    expect(device.peek(0x08000000 + size, size)).toEqual(pattern(size, 3));
    expect(device.peek(0x08000000 + 2 * size, size).every((byte) => byte === 0xff)).toBe(true);
    expect(device.peek(0x08000000 + 3 * size, size)).toEqual(pattern(size, 5));
    await host.abort();
    expect(await device.controlIn(DFU_UPLOAD, 5, size)).toEqual(pattern(size, 5));
    expect(device.violations).toEqual([]);
  });

  it('records a block that follows a short block (the device formula leaves a gap)', async () => {
    const { host, device } = setup(profiles.stm32f405!, 'blank');
    await host.expectOk(host.setAddress(0x08000000));
    await host.expectOk(host.dnload(2, pattern(1024, 1)));
    await host.expectOk(host.dnload(3, pattern(1024, 2)));
    expect(device.peek(0x08000000 + 2048, 1024)).toEqual(pattern(1024, 2));
    expect(device.violations[0]).toMatch(/^block-sequence/);
  });

  it('ignores DNLOAD block 1 (recorded) and STALLs UPLOAD block 1', async () => {
    const { host, device } = setup(profiles.stm32f405!);
    await host.expectOk(host.dnload(1, pattern(16, 0)));
    expect(device.violations[0]).toMatch(/^block-1/);
    await host.abort();
    expect(await rejection(device.controlIn(DFU_UPLOAD, 1, 16))).toBeInstanceOf(ProtocolViolation);
  });

  it('STALLs a chunk longer than wTransferSize', async () => {
    const { device } = setup(profiles.stm32h743!);
    expect(profiles.stm32h743!.transferSize).toBe(1024);
    expect(await rejection(device.controlOut(DFU_DNLOAD, 2, new Uint8Array(2048)))).toMatchObject({ rule: 'chunk-too-long' });
    expect(await rejection(device.controlIn(DFU_UPLOAD, 2, 2048))).toBeInstanceOf(TransferError);
  });

  it('a short read ends the upload in dfuIDLE', async () => {
    const { host, device } = setup(profiles.stm32f405!);
    await device.selectAlternate(1);
    await host.expectOk(host.setAddress(0x1fffc000));
    await host.abort();
    const ob = await device.controlIn(DFU_UPLOAD, 2, 2048);
    expect(ob.length).toBe(16);
    expect(ob[1]).toBe(0xaa);
    expect(await host.state()).toBe(DfuState.dfuIDLE);
  });

  it('leave: zero-length DNLOAD, GETSTATUS answers dfuMANIFEST, then the device is gone', async () => {
    const { host, device, clock } = setup(profiles.stm32f405!);
    await host.expectOk(host.setAddress(0x08000000));
    await device.controlOut(DFU_DNLOAD, 0);
    expect(await host.status()).toMatchObject({ state: DfuState.dfuMANIFEST });
    clock.advance(10);
    expect(device.isConnected).toBe(false);
    expect(await rejection(host.status())).toMatchObject({ failure: 'disconnected' });
  });

  it('leave on the H7: the GETSTATUS after the zero-length DNLOAD fails', async () => {
    const { host, device } = setup(profiles.stm32h743!);
    await host.expectOk(host.setAddress(0x08000000));
    await device.controlOut(DFU_DNLOAD, 2);
    expect(await rejection(host.status())).toMatchObject({ failure: 'io' });
    expect(device.isConnected).toBe(false);
  });

  it('CLRSTATUS outside dfuERROR: ST enters dfuERROR/errUNKNOWN; strict STALLs; both recorded', async () => {
    const lenient = setup(profiles.stm32f405!);
    await lenient.host.clear();
    expect(await lenient.host.status()).toMatchObject({ status: DfuStatus.errUNKNOWN, state: DfuState.dfuERROR });
    expect(lenient.device.violations[0]).toMatch(/^clrstatus-outside-error/);
    const strict = setup(profiles.stm32f405!, 'strict');
    expect(await rejection(strict.host.clear())).toMatchObject({ rule: 'clrstatus-outside-error', failure: 'stall' });
  });

  it('ABORT leaves dfuDNLOAD-IDLE and dfuUPLOAD-IDLE, does nothing in dfuERROR (recorded)', async () => {
    const { host, device } = setup(profiles.stm32f405!);
    await host.expectOk(host.setAddress(0x08000000));
    await host.abort();
    expect(await host.state()).toBe(DfuState.dfuIDLE);
    await device.controlIn(DFU_UPLOAD, 2, 2048);
    expect(await host.state()).toBe(DfuState.dfuUPLOAD_IDLE);
    await host.abort();
    expect(await host.state()).toBe(DfuState.dfuIDLE);
    await host.clear(); // → dfuERROR (recorded)
    await host.abort();
    expect(await host.state()).toBe(DfuState.dfuERROR);
    expect(device.violations.map((v) => v.split(':')[0])).toEqual(['clrstatus-outside-error', 'abort-in-error']);
  });
});

describe('SimulatedDevice: families', () => {
  it('ECC families refuse a second write to the same double-word with errPROG (G474)', async () => {
    const { host, device } = setup(profiles.stm32g474!);
    await host.expectOk(host.erase(0x08000800));
    await host.write(0x08000800, pattern(16, 1));
    await host.expectOk(host.setAddress(0x08000800));
    expect(await host.dnload(2, pattern(16, 2))).toMatchObject({ status: DfuStatus.errPROG, state: DfuState.dfuERROR });
    expect(device.peek(0x08000800, 16)).toEqual(pattern(16, 1));
    expect(device.violations[0]).toMatch(/^write-unerased/);
  });

  it('F0 refuses writes over programmed half-words (PGERR)', async () => {
    const { host, device } = setup(profiles.stm32f072!);
    const old = device.peek(0x08000000, 64);
    await host.expectOk(host.setAddress(0x08000000));
    expect(await host.dnload(2, pattern(64, 5))).toMatchObject({ status: DfuStatus.errPROG, state: DfuState.dfuERROR });
    expect(device.peek(0x08000000, 64)).toEqual(old);
  });

  it('L072xB: the descriptor claims 192 KB, erasing above 128 KB hangs the bootloader until replug', async () => {
    const { host, device } = setup(profiles.stm32l072xb!);
    await host.toIdle();
    await host.expectOk(host.erase(0x0801ff80));
    await device.controlOut(DFU_DNLOAD, 0, Uint8Array.of(0x41, ...u32LE(0x08020000)));
    expect(await host.status()).toMatchObject({ state: DfuState.dfuDNBUSY });
    expect(await rejection(host.status())).toMatchObject({ failure: 'timeout' });
    expect(device.isHung).toBe(true);
    device.replug();
    expect(await host.status()).toMatchObject({ state: DfuState.dfuERROR, status: DfuStatus.errFIRMWARE });
  });

  it('L476 STALLs a GETSTATUS sent before the page erase is over, and answers once it is', async () => {
    const { host, device, clock } = setup(profiles.stm32l476!);
    await device.controlOut(DFU_DNLOAD, 0, Uint8Array.of(0x41, ...u32LE(0x08000000)));
    const first = await host.status();
    expect(first).toMatchObject({ state: DfuState.dfuDNBUSY, pollTimeoutMs: 10 });
    await clock.sleep(first.pollTimeoutMs);
    expect(await rejection(host.status())).toMatchObject({ failure: 'stall' });
    await clock.sleep(20);
    expect(await host.status()).toMatchObject({ status: DfuStatus.OK, state: DfuState.dfuDNLOAD_IDLE });
    expect(device.stats.stalls).toBe(1);
    expect(device.violations).toEqual([]);
  });
});

describe('SimulatedDevice: read protection and option bytes', () => {
  it('readProtected: uploads, erases and writes fail with errVENDOR', async () => {
    const { host, device } = setup(profiles.stm32f405!, 'readProtected');
    expect(device.readProtectionLevel).toBe(1);
    await host.expectOk(host.setAddress(0x08000000));
    await host.abort();
    expect(await rejection(device.controlIn(DFU_UPLOAD, 2, 2048))).toMatchObject({ failure: 'stall' });
    expect(await host.status()).toMatchObject({ status: DfuStatus.errVENDOR, state: DfuState.dfuERROR });
    await host.clear();
    expect(await host.erase(0x08000000)).toMatchObject({ status: DfuStatus.errVENDOR });
    await host.clear();
    expect(await host.command([0x41])).toMatchObject({ status: DfuStatus.errVENDOR });
    await host.clear();
    await host.expectOk(host.setAddress(0x08000000));
    expect(await host.dnload(2, pattern(16, 0))).toMatchObject({ status: DfuStatus.errVENDOR });
  });

  it('read unprotect mass-erases, resets and comes back unprotected', async () => {
    const { host, device, clock } = setup(profiles.stm32f405!, 'readProtected');
    const events: boolean[] = [];
    device.onConnectionChange((isConnected) => events.push(isConnected));
    await device.controlOut(DFU_DNLOAD, 0, Uint8Array.of(0x92));
    expect(await host.status()).toMatchObject({ state: DfuState.dfuDNBUSY });
    await clock.sleep(30_000);
    expect(events).toEqual([false, true]);
    expect(device.readProtectionLevel).toBe(0);
    expect(device.memory(0).every((byte) => byte === 0xff)).toBe(true);
    expect(await host.read(0x08000000, 16)).toEqual(new Uint8Array(16).fill(0xff));
  });

  it('an option-byte write resets the device, which comes back with the new values', async () => {
    const { host, device, clock } = setup(profiles.stm32l073!);
    await host.toIdle();
    await device.selectAlternate(1);
    const ob = device.peek(0x1ff80000, 32);
    ob[4] = 0x70; // USER: clear nBOOT1
    ob[6] = 0x8f;
    await host.expectOk(host.setAddress(0x1ff80000));
    await device.controlOut(DFU_DNLOAD, 2, ob);
    expect(await host.status()).toMatchObject({ state: DfuState.dfuDNBUSY });
    expect(await rejection(host.status())).toMatchObject({ failure: 'disconnected' });
    clock.advance(1000);
    expect(device.isConnected).toBe(true);
    expect(device.peek(0x1ff80000, 32)).toEqual(ob);
    expect(device.readProtectionLevel).toBe(0);
  });

  it('a broken RDP complement or RDP level 2 behave like the silicon', async () => {
    const writeOptionBytes = async ({ host, device }: ReturnType<typeof setup>, address: number, bytes: Uint8Array) => {
      await device.selectAlternate(1);
      await host.expectOk(host.setAddress(address));
      await device.controlOut(DFU_DNLOAD, 2, bytes);
      expect(await host.status()).toMatchObject({ state: DfuState.dfuDNBUSY });
    };
    const broken = setup(profiles.stm32f072!);
    const ob = broken.device.peek(0x1ffff800, 16);
    ob[1] = 0x00; // nRDP no longer the complement of RDP
    await writeOptionBytes(broken, 0x1ffff800, ob);
    broken.clock.advance(1000);
    expect(broken.device.isConnected).toBe(true);
    expect(broken.device.readProtectionLevel).toBe(1);

    const locked = setup(profiles.stm32f405!);
    const level2 = locked.device.peek(0x1fffc000, 16);
    level2[1] = 0xcc;
    level2[3] = 0x33;
    await writeOptionBytes(locked, 0x1fffc000, level2);
    locked.clock.advance(5000);
    expect(locked.device.isBricked).toBe(true);
    expect(locked.device.isConnected).toBe(false);
  });
});

describe('SimulatedDevice: every scenario triggers its fault once', () => {
  it('healthy: no fault, previous firmware in flash; blank: erased flash', () => {
    const healthy = setup(profiles.stm32f405!, 'healthy');
    expect(healthy.device.peek(0x08000000, 8)).toEqual(Uint8Array.of(0x00, 0x50, 0x00, 0x20, 0x29, 0xc3, 0x00, 0x08));
    const blank = setup(profiles.stm32f405!, 'blank');
    expect(blank.device.memory(0).every((byte) => byte === 0xff)).toBe(true);
    expect(blank.device.erasedSectors(0).every(Boolean)).toBe(true);
  });

  it('errorAtConnect: an F405 that normally starts clean starts in dfuERROR/errFIRMWARE', async () => {
    const { host } = setup(profiles.stm32f405!, 'errorAtConnect');
    expect(await host.status()).toMatchObject({ status: DfuStatus.errFIRMWARE, state: DfuState.dfuERROR });
  });

  it('unplugMidWrite: the 4th data block finds the device gone; it comes back 2 s later with the first 3 written', async () => {
    const { host, device, clock } = setup(profiles.stm32f405!, 'blank+unplugMidWrite');
    await host.write(0x08000000, pattern(3 * 2048, 1));
    await host.expectOk(host.setAddress(0x08000000 + 3 * 2048));
    expect(await rejection(device.controlOut(DFU_DNLOAD, 2, pattern(2048, 2)))).toMatchObject({ failure: 'disconnected' });
    clock.advance(2000);
    expect(device.isConnected).toBe(true);
    expect(device.peek(0x08000000, 3 * 2048)).toEqual(pattern(3 * 2048, 1));
    await host.write(0x08000000 + 3 * 2048, pattern(2048, 2)); // the fault fired once
  });

  it('unplugMidErase and unplugMidRead count their own requests', async () => {
    const erase = setup(profiles.stm32f405!, 'unplugMidErase:1');
    await erase.host.expectOk(erase.host.erase(0x08000000));
    expect(await rejection(erase.host.erase(0x08004000))).toMatchObject({ failure: 'disconnected' });
    const read = setup(profiles.stm32f405!, 'unplugMidRead:1');
    await read.device.controlIn(DFU_UPLOAD, 2, 2048);
    expect(await rejection(read.device.controlIn(DFU_UPLOAD, 3, 2048))).toMatchObject({ failure: 'disconnected' });
  });

  it('disconnectAfter:N: transfer N+1 fails, the handle opened before is dead after the replug', async () => {
    const { device, clock } = setup(profiles.stm32f405!, 'disconnectAfter:2');
    const opened = device.open();
    await opened.transport.controlIn(DFU_GETSTATE, 0, 1);
    await opened.transport.controlIn(DFU_GETSTATE, 0, 1);
    expect(await rejection(opened.transport.controlIn(DFU_GETSTATE, 0, 1))).toMatchObject({ failure: 'disconnected' });
    clock.advance(2000);
    expect(device.isConnected).toBe(true);
    expect(await rejection(opened.transport.controlIn(DFU_GETSTATE, 0, 1))).toMatchObject({ failure: 'disconnected' });
    expect(await device.open().transport.controlIn(DFU_GETSTATE, 0, 1)).toEqual(Uint8Array.of(DfuState.dfuIDLE));
  });

  it('eraseError:2: the second erase ends in errERASE and erases nothing', async () => {
    const { host, device } = setup(profiles.stm32f405!, 'eraseError:2');
    await host.expectOk(host.erase(0x08000000));
    const before = device.peek(0x08004000, 64);
    expect(await host.erase(0x08004000)).toMatchObject({ status: DfuStatus.errERASE, state: DfuState.dfuERROR });
    expect(device.peek(0x08004000, 64)).toEqual(before);
    await host.clear();
    await host.expectOk(host.erase(0x08004000));
  });

  it('writeError: the first data block ends in errWRITE and writes nothing', async () => {
    const { host, device } = setup(profiles.stm32f405!, 'blank+writeError');
    await host.expectOk(host.setAddress(0x08000000));
    expect(await host.dnload(2, pattern(2048, 1))).toMatchObject({ status: DfuStatus.errWRITE, state: DfuState.dfuERROR });
    expect(device.peek(0x08000000, 2048).every((byte) => byte === 0xff)).toBe(true);
  });

  it('stuckBusy: dfuDNBUSY after the erase until two CLRSTATUS (errUNKNOWN, then dfuIDLE)', async () => {
    const { host, device, clock } = setup(profiles.stm32h743!, 'stuckBusy');
    await device.controlOut(DFU_DNLOAD, 0, Uint8Array.of(0x41, ...u32LE(0x08000000)));
    const first = await host.status();
    await clock.sleep(5000);
    for (let i = 0; i < 3; i++) expect(await host.status()).toMatchObject({ state: DfuState.dfuDNBUSY, status: DfuStatus.OK });
    await host.clear();
    expect(await host.status()).toMatchObject({ state: DfuState.dfuERROR, status: DfuStatus.errUNKNOWN });
    await host.clear();
    expect(await host.status()).toMatchObject({ state: DfuState.dfuIDLE, status: DfuStatus.OK });
    expect(first.state).toBe(DfuState.dfuDNBUSY);
    expect(device.erasedSectors(0)[0]).toBe(true);
    expect(device.violations).toEqual([]);
  });

  it('stuckBusyUntilReplug: CLRSTATUS does not help, a replug does', async () => {
    const { host, device } = setup(profiles.stm32f405!, 'stuckBusyUntilReplug');
    await device.controlOut(DFU_DNLOAD, 0, Uint8Array.of(0x41, ...u32LE(0x08000000)));
    await host.status();
    await host.clear();
    await host.clear();
    expect(await host.status()).toMatchObject({ state: DfuState.dfuDNBUSY });
    device.replug();
    expect(await host.status()).toMatchObject({ state: DfuState.dfuIDLE });
  });

  it('lyingPollTimeout: short reports 1 ms, long reports 4x the real duration + 50 ms', async () => {
    const short = setup(profiles.stm32f405!, 'lyingPollTimeout:short');
    expect((await short.host.erase(0x08000000)).firstPollMs).toBe(1);
    const long = setup(profiles.stm32f405!, 'lyingPollTimeout:long');
    expect((await long.host.erase(0x08000000)).firstPollMs).toBe(400 * 4 + 50);
    // Short timeouts on the L4 make an obedient host hit the STALL quirk.
    const l4 = setup(profiles.stm32l476!, 'lyingPollTimeout');
    await l4.device.controlOut(DFU_DNLOAD, 0, Uint8Array.of(0x41, ...u32LE(0x08000000)));
    const { pollTimeoutMs } = await l4.host.status();
    await l4.clock.sleep(pollTimeoutMs);
    expect(await rejection(l4.host.status())).toMatchObject({ failure: 'stall' });
  });

  it('slowMassErase: mass erase takes FACTOR times longer, still reporting 100 ms', async () => {
    const { host, clock } = setup(profiles.stm32f405!, 'slowMassErase:2');
    await host.device.controlOut(DFU_DNLOAD, 0, Uint8Array.of(0x41));
    const start = clock.now();
    expect((await host.status()).pollTimeoutMs).toBe(100);
    await clock.sleep(31_000);
    expect(await host.status()).toMatchObject({ status: DfuStatus.OK, state: DfuState.dfuDNLOAD_IDLE });
    expect(clock.now() - start).toBeGreaterThanOrEqual(32_000);
  });
});

describe('SimulatedDevice: stats and time', () => {
  it('counts control transfers by kind and the device floor (wire + operation time)', async () => {
    const { host, device, clock } = setup(profiles.stm32f405!, 'blank');
    const start = clock.now();
    await host.expectOk(host.erase(0x08000000));
    await host.write(0x08000000, pattern(4096, 1));
    const { stats } = device;
    expect(stats.requests.dnload).toBe(5);
    expect(stats.requests.getStatus).toBeGreaterThanOrEqual(10);
    expect(stats.controlTransfers).toBe(Object.values(stats.requests).reduce((a, b) => a + b, 0));
    expect(stats.busyMs).toBeCloseTo(400 + 2 * 0.1 + 2 * 8, 5);
    expect(stats.floorMs).toBeCloseTo(stats.busyMs + stats.transferMs, 5);
    expect(clock.now() - start).toBeGreaterThanOrEqual(stats.floorMs);
    expect(stats.bytesWritten).toBe(4096);
  });
});

describe('SimulatedDevice: every profile', () => {
  for (const profile of Object.values(profiles)) {
    it(`${profile.id}: erase, write, read back with no violation; read protection and unprotect`, async () => {
      const { host, device, clock } = setup(profile);
      await host.toIdle();
      const sector = 0x08000000;
      const image = pattern(profile.transferSize + 100, 4);
      for (const start of sectorStarts(profile, sector, sector + image.length)) await host.expectOk(host.erase(start));
      await host.write(sector, image);
      expect(await host.read(sector, image.length)).toEqual(image);
      expect(device.violations).toEqual([]);

      const locked = setup(profile, 'readProtected');
      expect(locked.device.readProtectionLevel).toBe(1);
      await locked.host.toIdle();
      expect(await locked.host.erase(sector)).toMatchObject({ status: DfuStatus.errVENDOR });
      await locked.host.clear();
      await locked.device.controlOut(DFU_DNLOAD, 0, Uint8Array.of(0x92));
      await locked.host.status();
      await locked.clock.sleep(profile.timings.massEraseMs + profile.timings.optionBytesMs + profile.timings.reenumerateMs);
      expect(locked.device.isConnected).toBe(true);
      expect(locked.device.readProtectionLevel).toBe(0);
      const erased = profile.alternates[0]!.memory.erasedValue;
      expect(locked.device.memory(0).every((byte) => byte === erased)).toBe(true);
      expect(clock.now()).toBeGreaterThan(0);
    });
  }
});

describe('SimulatedDevice: system memory', () => {
  it('F_SIZE tells the real flash size where the descriptor overstates it (L072xB: 128 KB)', async () => {
    for (const [id, kib] of [
      ['stm32l072xb', 128],
      ['stm32l073', 192],
      ['stm32f405', 1024],
    ] as const) {
      const { host, device } = setup(profiles[id]!);
      await host.toIdle();
      const fsize = profiles[id]!.systemMemory.flashSizeAddress;
      expect(Array.from(await host.read(fsize, 2))).toEqual([kib & 0xff, kib >> 8]);
      expect(device.violations).toEqual([]);
      expect(await host.erase(fsize)).toMatchObject({ status: DfuStatus.errTARGET });
    }
  });

  it('H7 option registers: the written _PRG values become _CUR after the reset', async () => {
    const { host, device, clock } = setup(profiles.stm32h743!);
    await device.selectAlternate(1);
    const ob = device.peek(0x5200201c, 128);
    ob[5] = 0xbb; // OPTSR_PRG.RDP
    await host.expectOk(host.setAddress(0x5200201c));
    await device.controlOut(DFU_DNLOAD, 2, ob);
    await host.status();
    clock.advance(2000);
    expect(device.peek(0x5200201c, 2)[1]).toBe(0xbb);
    expect(device.readProtectionLevel).toBe(1);
  });
});

describe('SimulatedDevice: how a busy bootloader answers GETSTATUS (poll variants)', () => {
  const eraseSector0 = Uint8Array.of(0x41, ...u32LE(0x08000000));

  it('pollAnswerBusy: answers dfuDNBUSY with the reported timeout while the erase runs, OK once it is over', async () => {
    const { host, device, clock } = setup(profiles.stm32f405!, 'pollAnswerBusy');
    await device.controlOut(DFU_DNLOAD, 0, eraseSector0);
    const t0 = clock.now();
    expect(await host.status()).toMatchObject({ state: DfuState.dfuDNBUSY });
    expect(await host.status()).toMatchObject({ state: DfuState.dfuDNBUSY, pollTimeoutMs: 100 });
    expect(clock.now() - t0).toBeLessThan(5);
    await clock.sleep(1_000);
    expect(await host.status()).toMatchObject({ status: DfuStatus.OK, state: DfuState.dfuDNLOAD_IDLE });
  });

  it('pollHold overrides the L4 STALL: the second GETSTATUS is held until the page erase ends', async () => {
    const { host, device, clock } = setup(profiles.stm32l476!, 'pollHold');
    await device.controlOut(DFU_DNLOAD, 0, eraseSector0);
    await host.status();
    const t0 = clock.now();
    expect(await host.status()).toMatchObject({ state: DfuState.dfuDNLOAD_IDLE });
    expect(clock.now() - t0).toBeGreaterThan(20);
  });

  it('pollFirstHeld: the first GETSTATUS answers dfuDNBUSY only after the erase; the next answers at once', async () => {
    const { host, device, clock } = setup(profiles.stm32f405!, 'pollFirstHeld');
    await device.controlOut(DFU_DNLOAD, 0, eraseSector0);
    const t0 = clock.now();
    expect(await host.status()).toMatchObject({ state: DfuState.dfuDNBUSY });
    const held = clock.now() - t0;
    expect(held).toBeGreaterThan(200);
    const t1 = clock.now();
    expect(await host.status()).toMatchObject({ status: DfuStatus.OK, state: DfuState.dfuDNLOAD_IDLE });
    expect(clock.now() - t1).toBeLessThan(5);
    expect(device.stats.busyMs).toBeLessThanOrEqual(held);
  });

  it('pollFlaky:SEED: STALLs, EPROTO and dfuDNBUSY at random while busy, the same sequence for the same seed', async () => {
    const outcomes = async (seed: number): Promise<string[]> => {
      const { host, device, clock } = setup(profiles.stm32f405!, `pollFlaky:${seed}`);
      await device.controlOut(DFU_DNLOAD, 0, eraseSector0);
      await host.status();
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) {
        await clock.sleep(2);
        seen.push(await host.status().then((r) => `state ${r.state}`, (e: TransferError) => e.failure));
      }
      return seen;
    };
    const a = await outcomes(7);
    expect(await outcomes(7)).toEqual(a);
    expect(await outcomes(8)).not.toEqual(a);
    expect(a).toContain('stall');
    expect(a).toContain('io');
    expect(a).toContain(`state ${DfuState.dfuDNBUSY}`);
  });

  it('noResetAfterOptionBytes: the write ends in dfuDNLOAD-IDLE, the device stays, the values load at the next reset', async () => {
    const { host, device, clock } = setup(profiles.stm32l073!, 'noResetAfterOptionBytes');
    await host.toIdle();
    await device.selectAlternate(1);
    const ob = device.peek(0x1ff80000, 32);
    ob[4] = 0x70;
    ob[6] = 0x8f;
    await host.expectOk(host.setAddress(0x1ff80000));
    await host.expectOk(host.dnload(2, ob));
    clock.advance(2_000);
    expect(device.isConnected).toBe(true);
    device.replug();
    expect(device.peek(0x1ff80000, 32)).toEqual(ob);
  });

  it('setAddressRefusedWhenProtected: Set Address fails with errVENDOR under RDP 1', async () => {
    const { host } = setup(profiles.stm32f405!, 'setAddressRefusedWhenProtected');
    expect(await host.setAddress(0x08000000)).toMatchObject({ status: DfuStatus.errVENDOR, state: DfuState.dfuERROR });
  });

  it('writeProtected:N: the erase of sector N answers OK and erases nothing; a write into it fails with errWRITE', async () => {
    const { host, device } = setup(profiles.stm32f405!, 'writeProtected:1');
    const before = device.peek(0x08004000, 16);
    expect(before.some((b) => b !== 0xff)).toBe(true);
    await host.expectOk(host.erase(0x08004000));
    expect(device.peek(0x08004000, 16)).toEqual(before);
    await host.abort();
    await host.expectOk(host.setAddress(0x08004000));
    expect(await host.dnload(2, pattern(16, 1))).toMatchObject({ status: DfuStatus.errWRITE, state: DfuState.dfuERROR });
    await host.clear();
    await host.expectOk(host.erase(0x08000000));
    expect(device.peek(0x08000000, 16)).toEqual(new Uint8Array(16).fill(0xff));
  });

  it('readUnprotectNoOp: at RDP 0 Read Unprotect answers OK, erases nothing and does not reset', async () => {
    const { host, device, clock } = setup(profiles.stm32f405!, 'readUnprotectNoOp');
    const before = device.peek(0x08000000, 16);
    await host.expectOk(host.command([0x92]));
    clock.advance(60_000);
    expect(device.isConnected).toBe(true);
    expect(device.peek(0x08000000, 16)).toEqual(before);
  });
});
