import { readU32LE, writeU32LE } from '../bytes.js';
import { DFU_DNLOAD, DFU_GETSTATUS, DFU_UPLOAD, DfuState } from '../dfu/spec.js';
import type { DfuError } from '../errors.js';
import { MemoryImage } from '../image/memoryImage.js';
import { parseIntelHex, writeIntelHex } from '../image/intelHex.js';
import { VirtualClock } from '../clock.js';
import { SimulatedDevice } from '../simulator/device.js';
import { profiles } from '../simulator/profiles.js';
import { parseScenario } from '../simulator/scenarios.js';
import { TransferError, type DfuTransport, type OpenedDevice } from '../usb/transport.js';
import { SimulatorBus } from '../simulator/bus.js';
import { decodeCommand, type DfuseCommand } from './commands.js';
import { DfuseSession, type SessionEvent, type SessionOptions } from './session.js';

/** Records every DfuSe command the engine sends, so tests can say exactly what was erased. */
function spying(opened: OpenedDevice, commands: DfuseCommand[]): OpenedDevice {
  const inner = opened.transport;
  const transport: DfuTransport = {
    controlIn: (request, value, length) => inner.controlIn(request, value, length),
    controlOut: (request, value, data) => {
      if (request === DFU_DNLOAD && value === 0 && data) {
        const command = decodeCommand(data);
        if (command) commands.push(command);
      }
      return inner.controlOut(request, value, data);
    },
    selectAlternate: (alternate) => inner.selectAlternate(alternate),
    close: () => inner.close(),
  };
  return { ...opened, transport };
}

interface Rig {
  readonly clock: VirtualClock;
  readonly device: SimulatedDevice;
  readonly session: DfuseSession;
  readonly events: SessionEvent[];
  readonly commands: DfuseCommand[];
}

async function rig(profileId: string, scenario = '', options: Partial<SessionOptions> = {}): Promise<Rig> {
  const clock = new VirtualClock();
  const device = new SimulatedDevice({ profile: profiles[profileId]!, scenario: parseScenario(scenario), clock });
  const events: SessionEvent[] = [];
  const commands: DfuseCommand[] = [];
  const session = await DfuseSession.open(spying(device.open(), commands), { clock, onEvent: (e) => events.push(e), ...options });
  return { clock, device, session, events, commands };
}

/** Code-like bytes with the founding report's new vector table (SP 0x20005000, reset 0x0800C38D). */
function foundingFirmware(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = 0x1234567;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  writeU32LE(out, 0, 0x20005000);
  writeU32LE(out, 4, 0x0800c38d);
  return out;
}

/** The 66,748-byte image of the founding report, through a real Intel HEX round trip. */
function foundingImage(): MemoryImage {
  const hex = writeIntelHex(MemoryImage.fromBytes(0x08000000, foundingFirmware(66_748)));
  return parseIntelHex(hex).image;
}

const erasesOf = (commands: readonly DfuseCommand[]): number[] =>
  commands.flatMap((c) => (c.kind === 'erase-page' ? [c.address] : c.kind === 'mass-erase' ? [-1] : []));

describe('DfuseSession on the STM32L073 (the founding case)', () => {
  it('erases exactly pages 0-521, writes 66,748 bytes and verifies them equal', async () => {
    const { session, device, commands, events } = await rig('stm32l073');
    const image = foundingImage();
    expect(image.size).toBe(66_748);
    const result = await session.program(image, { erase: 'touched', verify: true });

    // Every page, blank or not: on L0 a page that reads blank is still erased (blankSectorCheck).
    expect(erasesOf(commands)).toEqual(Array.from({ length: 522 }, (_, i) => 0x08000000 + i * 128));
    expect(result.sectorsErased).toBe(522);
    expect(result.sectorsBlank).toBe(0);
    expect(result.bytesWritten).toBe(66_748);
    expect(result.verify).toMatchObject({ isMatch: true, bytesCompared: 66_748, mismatchCount: 0, diagnosis: { kind: 'match' } });
    expect(device.peek(0x08000000, 66_748)).toEqual(image.read({ start: 0x08000000, end: 0x08000000 + 66_748 }, 0));
    // Outside the image the old application is gone only in the erased pages.
    expect(device.peek(0x08010500, 16)).toEqual(new Uint8Array(16));
    expect(device.violations).toEqual([]);
    expect(events.filter((e) => e.type === 'phase' && e.status === 'finish').map((e) => (e as { phase: string }).phase)).toEqual([
      'connect',
      'erase',
      'write',
      'verify',
    ]);
  });

  it('with the erase skipped, verification says the sectors were not erased; first mismatch at the reset vector 0x08000004', async () => {
    const { session, device, commands } = await rig('stm32l073');
    // The old application shares the initial stack pointer with the new one (reference §7.3).
    expect(readU32LE(device.peek(0x08000000, 4), 0)).toBe(0x20005000);
    const result = await session.program(foundingImage(), { erase: 'none', verify: true });
    expect(erasesOf(commands)).toEqual([]);
    expect(result.plans[0]!.warnings.map((w) => w.kind)).toContain('erase-skipped');
    const report = result.verify!;
    expect(report.isMatch).toBe(false);
    expect(report.firstMismatch).toBe(0x08000004);
    expect(report.diagnosis).toMatchObject({ kind: 'not-erased', evidence: 'old-kept' });
    expect(report.diagnosis.message).toMatch(/sectors not erased, old data still present/);
    // The old reset vector is what reads back, as in the report: 0x0800C329.
    expect(readU32LE(device.peek(0x08000004, 4), 0)).toBe(0x0800c329);
    expect(report.samples[0]).toMatchObject({ address: 0x08000000 });
    expect(report.sectorsWithMismatch[0]).toBe(0);
  });

  it('emits phases in order with monotonic progress ending at the total', async () => {
    const { session, events } = await rig('stm32l073');
    events.length = 0;
    await session.program(MemoryImage.fromBytes(0x08000000, foundingFirmware(5000)), { erase: 'touched', verify: true });
    const flow = events.filter((e) => e.type !== 'log');
    let open: string | undefined;
    let last = -1;
    let total = 0;
    const phases: string[] = [];
    for (const event of flow) {
      if (event.type === 'phase' && event.status === 'start') {
        expect(open).toBeUndefined();
        open = event.phase;
        last = 0;
        total = event.bytes;
        phases.push(event.phase);
      } else if (event.type === 'progress') {
        expect(event.phase).toBe(open);
        expect(event.done).toBeGreaterThanOrEqual(last);
        expect(event.total).toBe(total);
        last = event.done;
      } else if (event.type === 'phase') {
        expect(event.phase).toBe(open);
        expect(event.status).toBe('finish');
        expect(last).toBe(total);
        open = undefined;
      }
    }
    expect(phases).toEqual(['erase', 'write', 'verify']);
  });

  it('connects without warnings: that an L072xB sends the same flash string is one info-level note', async () => {
    const { events, session } = await rig('stm32l073');
    expect(events.filter((e) => e.type === 'log' && e.level === 'warn')).toEqual([]);
    const notes = events.filter((e) => e.type === 'log' && e.level === 'info' && /L072xB/.test(e.message));
    expect(notes).toHaveLength(1);
    expect(session.info.notes).toHaveLength(1);
  });

  it('reads a region back as an image (backup) and refuses ranges outside it', async () => {
    const { session, device } = await rig('stm32l073');
    const image = await session.read(0, { start: 0x08000100, end: 0x08001234 });
    expect(image.blocks[0]!.data).toEqual(device.peek(0x08000100, 0x1134));
    const error = (await session.read(0, { start: 0x0802ff00, end: 0x08030100 }).catch((e: unknown) => e)) as DfuError;
    expect(error.info).toMatchObject({ kind: 'invalid-argument', argument: 'range' });
    expect(device.violations).toEqual([]);
  });

  it('writes the data EEPROM (no erase) in the same program call as the flash', async () => {
    const { session, device, commands } = await rig('stm32l073');
    const image = MemoryImage.fromBlocks([
      { start: 0x08000000, data: foundingFirmware(256) },
      { start: 0x08080003, data: Uint8Array.of(1, 2, 3, 4, 5) },
    ]);
    const result = await session.program(image, { erase: 'touched', verify: true });
    expect(result.plans.map((p) => p.region)).toEqual(['Internal Flash', 'DATA Memory']);
    expect(erasesOf(commands)).toEqual([0x08000000, 0x08000080]);
    expect(Array.from(device.peek(0x08080003, 5))).toEqual([1, 2, 3, 4, 5]);
    expect(result.verify?.isMatch).toBe(true);
    expect(device.violations).toEqual([]);
  });

  it('cancels at a safe point, leaves the device in dfuIDLE, and a later program succeeds', async () => {
    const controller = new AbortController();
    const events: SessionEvent[] = [];
    const { session, device } = await rig('stm32l073', '', {
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'progress' && e.phase === 'write' && e.done >= 4096) controller.abort();
      },
    });
    const image = MemoryImage.fromBytes(0x08000000, foundingFirmware(20_000));
    const error = (await session.program(image, { erase: 'touched', verify: true }, { signal: controller.signal }).catch((e: unknown) => e)) as DfuError;
    expect(error.info).toEqual({ kind: 'cancelled', during: 'write' });
    expect(device.dfuState).toBe(DfuState.dfuIDLE);
    expect(events.some((e) => e.type === 'phase' && e.phase === 'write' && e.status === 'failed')).toBe(true);
    const again = await session.program(image, { erase: 'touched', verify: true });
    expect(again.verify?.isMatch).toBe(true);
    expect(device.violations).toEqual([]);
  });
});

describe('DfuseSession hands the device back in dfuIDLE', () => {
  it('two sessions in a row on the same device (program without leave or verify, then read): no violations', async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: profiles.stm32f405!, clock });
    const image = MemoryImage.fromBytes(0x08000000, foundingFirmware(5000));

    const first = await DfuseSession.open(device.open(), { clock });
    const result = await first.program(image, { erase: 'touched', verify: false });
    expect(result.hasLeft).toBe(false);
    expect(device.dfuState).toBe(DfuState.dfuIDLE);
    await first.close();

    const second = await DfuseSession.open(device.open(), { clock });
    const back = await second.read(0, { start: 0x08000000, end: 0x08000000 + 5000 });
    expect(back.read({ start: 0x08000000, end: 0x08000000 + 5000 }, 0)).toEqual(image.read({ start: 0x08000000, end: 0x08000000 + 5000 }, 0));
    await second.eraseSectors(0, [1]);
    expect(device.dfuState).toBe(DfuState.dfuIDLE);
    await second.close();
    expect(device.violations).toEqual([]);
  });

  it('recovers a device another tool left in dfuDNLOAD-IDLE before selecting an alt setting', async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: profiles.stm32l476!, clock });
    // Another host: set-address on the option-byte alt, polled, and left in dfuDNLOAD-IDLE.
    await device.selectAlternate(1);
    await device.controlOut(DFU_DNLOAD, 0, Uint8Array.of(0x21, 0x00, 0x78, 0xff, 0x1f));
    await device.controlIn(DFU_GETSTATUS, 0, 6);
    await clock.sleep(50);
    await device.controlIn(DFU_GETSTATUS, 0, 6);
    expect(device.dfuState).toBe(DfuState.dfuDNLOAD_IDLE);
    expect(device.violations).toEqual([]);

    const session = await DfuseSession.open(device.open(), { clock });
    expect(device.dfuState).toBe(DfuState.dfuIDLE);
    await session.read(0, { start: 0x08000000, end: 0x08000100 });
    expect(device.violations).toEqual([]);
  });
});

describe('DfuseSession modes', () => {
  it('differential re-flash: reads, then erases and writes only the sector that changed', async () => {
    const { session, device, commands } = await rig('stm32f405');
    const data = foundingFirmware(200 * 1024);
    await session.program(MemoryImage.fromBytes(0x08000000, data), { erase: 'touched', verify: true });
    commands.length = 0;
    const changed = data.slice();
    changed[0x6000] = changed[0x6000]! ^ 0x5a; // sector 1 (0x08004000-0x08008000)
    const before = device.stats.operations.write;
    const result = await session.program(MemoryImage.fromBytes(0x08000000, changed), { erase: 'touched', verify: true, differential: true });
    expect(erasesOf(commands)).toEqual([0x08004000]);
    expect(device.stats.operations.write - before).toBe(8);
    expect(result.plans[0]!.unchangedSectors).toEqual([0, 2, 3, 4, 5]);
    // The first program verified the whole image, so this session already knows the content.
    expect(result.timings.map((t) => t.phase)).toEqual(['erase', 'write', 'verify']);
    expect(result.verify?.isMatch).toBe(true);
    expect(device.peek(0x08006000, 1)[0]).toBe(changed[0x6000]);
  });

  it('differential in a fresh session reads the touched sectors first', async () => {
    const { session, device, clock, commands } = await rig('stm32f405');
    const data = foundingFirmware(40 * 1024);
    await session.program(MemoryImage.fromBytes(0x08000000, data), { erase: 'touched', verify: true });
    const fresh = await DfuseSession.open(spying(device.open(), commands), { clock });
    commands.length = 0;
    const changed = data.slice();
    changed[100] = changed[100]! ^ 1;
    const result = await fresh.program(MemoryImage.fromBytes(0x08000000, changed), { erase: 'touched', verify: true, differential: true });
    expect(result.timings.map((t) => t.phase)).toEqual(['read', 'erase', 'write', 'verify']);
    expect(result.timings[0]!.bytes).toBe(48 * 1024); // sectors 0-2, each 16 KB
    expect(erasesOf(commands)).toEqual([0x08000000]);
    expect(result.verify?.isMatch).toBe(true);
  });

  it('preserve: keeps the bytes of a partly covered sector that lie outside the image', async () => {
    const { session, device } = await rig('stm32g474');
    const outside = device.peek(0x08000000, 0x100);
    const image = MemoryImage.fromBytes(0x08000100, foundingFirmware(0x80));
    const result = await session.program(image, { erase: 'touched', verify: true, preserve: true });
    expect(result.timings[0]!.phase).toBe('read');
    expect(device.peek(0x08000000, 0x100)).toEqual(outside);
    expect(device.peek(0x08000100, 0x80)).toEqual(foundingFirmware(0x80));
    expect(result.verify?.isMatch).toBe(true);
    expect(device.violations).toEqual([]);
  });

  it('sets the address once per run of full chunks: fewer transfers than dfu-util\'s address-per-chunk, same bytes', async () => {
    const image = MemoryImage.fromBytes(0x08000000, foundingFirmware(64 * 1024));
    const perRun = await rig('stm32g474', 'blank');
    const a = await perRun.session.program(image, { erase: 'touched', verify: false });
    const perChunk = await rig('stm32g474', 'blank', { strategy: { addressing: 'per-chunk' } });
    const b = await perChunk.session.program(image, { erase: 'touched', verify: false });
    expect(perRun.commands.filter((c) => c.kind === 'set-address')).toHaveLength(1);
    expect(perChunk.commands.filter((c) => c.kind === 'set-address')).toHaveLength(32);
    expect(a.controlTransfers).toBeLessThan(b.controlTransfers - 60);
    expect(perRun.device.peek(0x08000000, 64 * 1024)).toEqual(perChunk.device.peek(0x08000000, 64 * 1024));
    expect([...perRun.device.violations, ...perChunk.device.violations]).toEqual([]);
  });

  it('adaptive polling takes less time than sleeping every reported poll timeout (dfu-util 0.11)', async () => {
    const image = MemoryImage.fromBytes(0x08000000, foundingFirmware(32 * 1024));
    const adaptive = await rig('stm32l073');
    const t0 = adaptive.clock.now();
    await adaptive.session.program(image, { erase: 'touched', verify: false });
    const adaptiveMs = adaptive.clock.now() - t0;
    const reported = await rig('stm32l073', '', { strategy: { polling: 'reported', addressing: 'per-chunk' } });
    const t1 = reported.clock.now();
    await reported.session.program(image, { erase: 'touched', verify: false });
    const reportedMs = reported.clock.now() - t1;
    expect(adaptiveMs).toBeLessThan(reportedMs * 0.9);
    expect(reported.session.stats.sleptMs).toBeGreaterThan(1000);
    // Until a held GETSTATUS shows the device holds, the session sleeps (at least bwPollTimeout,
    // bounded by the expected duration): those sleeps overlap the device's busy time.
    expect(adaptive.session.stats.sleptMs).toBeLessThan(reported.session.stats.sleptMs / 4);
    // The device holds GETSTATUS until done, so nothing is lost beyond its busy and wire time.
    expect(adaptiveMs).toBeLessThanOrEqual(adaptive.device.stats.floorMs * 1.01);
  });
});

describe('DfuseSession quirks', () => {
  it('L4 that STALLs early polls: counted as busy, flashed and verified without violations', async () => {
    const { session, device, events } = await rig('stm32l476');
    const result = await session.program(MemoryImage.fromBytes(0x08000000, foundingFirmware(24 * 1024)), { erase: 'touched', verify: true });
    expect(result.verify?.isMatch).toBe(true);
    expect(device.stats.stalls).toBeGreaterThan(0);
    expect(device.violations).toEqual([]);
    expect(events.some((e) => e.type === 'log' && /stalled/.test(e.message))).toBe(true);
  });

  it('F405 mass erase: reported 100 ms, really ~16 s, longer than a held transfer: waited out', async () => {
    const { session, device, clock } = await rig('stm32f405');
    const t0 = clock.now();
    await session.massErase(0);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(16_000);
    expect(device.peek(0x08000000, 64)).toEqual(new Uint8Array(64).fill(0xff));
    expect(device.dfuState).toBe(DfuState.dfuIDLE);
  });

  it('H743 stuck in dfuDNBUSY after an erase: released with two CLRSTATUS, flash verified', async () => {
    const { session, device, events } = await rig('stm32h743', 'stuckBusy');
    const result = await session.program(MemoryImage.fromBytes(0x08000000, foundingFirmware(4096)), { erase: 'touched', verify: true });
    expect(result.verify?.isMatch).toBe(true);
    expect(device.stats.requests.clrStatus).toBe(2);
    expect(events.some((e) => e.type === 'log' && /CLRSTATUS 2 times/.test(e.message))).toBe(true);
    expect(device.violations).toEqual([]);
  });

  it('H743 leave: no GETSTATUS answer counts as success and the session is closed', async () => {
    const { session, device } = await rig('stm32h743');
    await session.leave();
    expect(device.isConnected).toBe(false);
    const error = (await session.read(0, { start: 0x08000000, end: 0x08000010 }).catch((e: unknown) => e)) as DfuError;
    expect(error.info.kind).toBe('device-gone');
  });

  it('refuses to run on a read-protected chip with read-protected, and read unprotect needs its confirmation', async () => {
    const { session, device, clock } = await rig('stm32f405', 'readProtected');
    const error = (await session.program(MemoryImage.fromBytes(0x08000000, foundingFirmware(64)), { erase: 'touched', verify: true }).catch((e: unknown) => e)) as DfuError;
    expect(error.info).toMatchObject({ kind: 'read-protected' });
    expect(device.dfuState).toBe(DfuState.dfuIDLE);
    const refused = (await session.readUnprotect({} as { iUnderstandTheFlashIsErased: true }).catch((e: unknown) => e)) as DfuError;
    expect(refused.info).toMatchObject({ kind: 'confirmation-required', action: 'read-unprotect' });
    await session.readUnprotect({ iUnderstandTheFlashIsErased: true });
    clock.advance(60_000);
    expect(device.isConnected).toBe(true);
    expect(device.readProtectionLevel).toBe(0);
    const fresh = await DfuseSession.open(device.open(), { clock });
    const result = await fresh.program(MemoryImage.fromBytes(0x08000000, foundingFirmware(64)), { erase: 'touched', verify: true });
    expect(result.verify?.isMatch).toBe(true);
  });

  it('reads and writes option bytes; the write resets the device and that is success', async () => {
    const { session, device, clock } = await rig('stm32f405');
    const decoded = await session.readOptionBytes();
    expect(decoded).toMatchObject({ family: 'F4', address: 0x1fffc000, rdpLevel: 0 });
    const raw = decoded.raw.slice();
    raw[2] = raw[2]! ^ 0x03; // write-protect bits of sectors 0-1 (nWRP; byte 2 of the block)
    raw[10] = raw[10]! ^ 0x03; // and their complement
    await session.writeOptionBytes(raw);
    clock.advance(5_000);
    expect(device.peek(0x1fffc000, 16)).toEqual(raw);
    const fresh = await DfuseSession.open(device.open(), { clock });
    expect((await fresh.readOptionBytes()).raw).toEqual(raw);
  });

  it('refuses erases of regions that are not erasable, and a mass erase for any alt setting but the main flash', async () => {
    const { session, device } = await rig('stm32l073');
    const error = (await session.eraseSectors(2, [0]).catch((e: unknown) => e)) as DfuError;
    expect(error.info).toMatchObject({ kind: 'not-erasable', region: 'DATA Memory' });
    // A DfuSe mass erase has no address: sent with alt 1 selected it would still clear the flash.
    const mass = (await session.massErase(1).catch((e: unknown) => e)) as DfuError;
    expect(mass.info).toMatchObject({ kind: 'invalid-argument', argument: 'erase' });
    expect(device.stats.operations.massErase).toBe(0);
    const sectors = await session.eraseRange(0, { start: 0x08000100, end: 0x08000101 });
    expect(sectors.map((s) => s.index)).toEqual([2]);
  });
});

describe('DfuseSession: the link after the device goes away', () => {
  const image = (length = 4096) => MemoryImage.fromBytes(0x08000000, foundingFirmware(length));

  it('station mode: boards flashed with leave leave no USB handle open, without any close()', async () => {
    const clock = new VirtualClock();
    const bus = new SimulatorBus(clock);
    for (let i = 0; i < 3; i++) bus.addSpec('stm32f405', { serial: `B${i}` });
    for (const summary of await bus.list()) {
      const session = await DfuseSession.open(await bus.open(summary.id), { clock });
      const result = await session.program(image(), { erase: 'touched', verify: true, leave: true });
      expect(result.hasLeft).toBe(true);
    }
    clock.advance(1_000);
    expect(bus.all().every((device) => !device.isConnected)).toBe(true);
    expect(bus.openHandles()).toBe(0);
  });

  it('releases the handle after an H7 leave without a status, an option-byte reset, a read unprotect and an unplug', async () => {
    const h7 = await rig('stm32h743');
    await h7.session.leave();
    expect(h7.device.openHandles).toBe(0);

    const ob = await rig('stm32l073');
    const [decoded] = await ob.session.readAllOptionBytes();
    expect(await ob.session.writeOptionBytes(decoded!.raw)).toBe('reset');
    expect(ob.device.openHandles).toBe(0);

    const rdp = await rig('stm32f405', 'readProtected');
    expect(await rdp.session.readUnprotect({ iUnderstandTheFlashIsErased: true })).toBe('reset');
    expect(rdp.device.openHandles).toBe(0);

    const unplugged = await rig('stm32f405', 'unplugMidWrite');
    const error = (await unplugged.session.program(image(16 * 1024), { erase: 'touched', verify: false }).catch((e: unknown) => e)) as DfuError;
    expect(error.info.kind).toBe('device-gone');
    expect(unplugged.device.openHandles).toBe(0);
    // close() after the device went away is harmless and still leaves nothing open.
    await unplugged.session.close();
    expect(unplugged.device.openHandles).toBe(0);
  });

  it('close() releases the handle even after the link knows the device is gone (the station-mode leak)', async () => {
    const { session, device } = await rig('stm32f405');
    device.unplug();
    await session.program(image(), { erase: 'touched', verify: false }).catch(() => undefined);
    await session.close();
    expect(device.openHandles).toBe(0);
  });

  it('a disconnect during SET_INTERFACE is the device going away (device-gone), not an internal error', async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: profiles.stm32f405!, clock });
    const opened = device.open();
    const transport: DfuTransport = { ...opened.transport, selectAlternate: () => Promise.reject(new TransferError('disconnected', 'LIBUSB_ERROR_NO_DEVICE')) };
    const error = (await DfuseSession.open({ ...opened, transport }, { clock }).catch((e: unknown) => e)) as DfuError;
    expect(error.info).toMatchObject({ kind: 'device-gone' });
  });

  it('a leave answered with dfuDNLOAD-IDLE did not leave: an error, and the device is back in dfuIDLE', async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: profiles.stm32f405!, clock });
    const opened = device.open();
    let swallowed = false;
    const transport: DfuTransport = {
      ...opened.transport,
      // A bootloader that takes the zero-length DNLOAD as an empty download and stays.
      controlOut: (request, value, data) => {
        if (request === DFU_DNLOAD && (data?.length ?? 0) === 0) {
          swallowed = true;
          return Promise.resolve(0);
        }
        return opened.transport.controlOut(request, value, data);
      },
    };
    const session = await DfuseSession.open({ ...opened, transport }, { clock });
    const error = (await session.leave().catch((e: unknown) => e)) as DfuError;
    expect(swallowed).toBe(true);
    expect(error.info).toMatchObject({ kind: 'unexpected-state', actual: DfuState.dfuDNLOAD_IDLE });
    expect(device.isConnected).toBe(true);
    expect(device.dfuState).toBe(DfuState.dfuIDLE);
    expect(device.openHandles).toBe(1);
  });

  it('after an option-byte write, I/O errors are no proof of a reset: an error when the device never leaves the bus', async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: profiles.stm32l073!, clock });
    const opened = device.open();
    let obSent = false;
    const transport: DfuTransport = {
      ...opened.transport,
      controlOut: (request, value, data) => {
        if (request === DFU_DNLOAD && value === 2) obSent = true;
        return obSent ? Promise.resolve(data?.length ?? 0) : opened.transport.controlOut(request, value, data);
      },
      controlIn: (request, value, length) =>
        obSent && request === DFU_GETSTATUS ? Promise.reject(new TransferError('io', 'LIBUSB_ERROR_IO')) : opened.transport.controlIn(request, value, length),
    };
    const session = await DfuseSession.open({ ...opened, transport }, { clock });
    const [decoded] = await session.readAllOptionBytes();
    const error = (await session.writeOptionBytes(decoded!.raw).catch((e: unknown) => e)) as DfuError;
    expect(error.info).toMatchObject({ kind: 'transport' });
    expect((error.info as { detail: string }).detail).toMatch(/no reset seen/);
  });

  it('newer bootloaders: an option-byte write without a reset, and Read Unprotect at level 0 that does nothing, say so', async () => {
    const ob = await rig('stm32l073', 'noResetAfterOptionBytes');
    const [decoded] = await ob.session.readAllOptionBytes();
    expect(await ob.session.writeOptionBytes(decoded!.raw)).toBe('no-reset');
    expect(ob.device.isConnected).toBe(true);
    expect(ob.device.dfuState).toBe(DfuState.dfuIDLE);
    expect(ob.events.some((e) => e.type === 'log' && /done without a reset/.test(e.message))).toBe(true);

    const rdp = await rig('stm32f405', 'readUnprotectNoOp');
    expect(await rdp.session.readUnprotect({ iUnderstandTheFlashIsErased: true })).toBe('no-reset');
    expect(rdp.device.isConnected).toBe(true);
    expect(rdp.device.violations).toEqual([]);
  });
});

describe('DfuseSession: transfer sizes and block addresses', () => {
  /** Records the length of every DNLOAD and UPLOAD data block, and every Set Address. */
  function recording(opened: OpenedDevice, sizes: number[], addresses: number[]): OpenedDevice {
    const inner = opened.transport;
    return {
      ...opened,
      transport: {
        ...inner,
        controlIn: (request, value, length) => {
          if (request === DFU_UPLOAD && value >= 2) sizes.push(length);
          return inner.controlIn(request, value, length);
        },
        controlOut: (request, value, data) => {
          if (request === DFU_DNLOAD && value >= 2 && data) sizes.push(data.length);
          if (request === DFU_DNLOAD && value === 0 && data?.[0] === 0x21) addresses.push(readU32LE(data, 1));
          return inner.controlOut(request, value, data);
        },
      },
    };
  }

  it('a chunk shorter than wTransferSize gets its own Set Address (a bootloader that places blocks by the request length)', async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: profiles.stm32f405!, scenario: parseScenario('addressByLength'), clock });
    const addresses: number[] = [];
    const session = await DfuseSession.open(recording(device.open(), [], addresses), { clock });
    // 2048 + 2048 + 904 bytes: the short third chunk would land at pointer + 2 x 904 as block 4.
    const result = await session.program(MemoryImage.fromBytes(0x08000000, foundingFirmware(5000)), { erase: 'touched', verify: true });
    expect(result.verify?.isMatch).toBe(true);
    expect(addresses).toContain(0x08001000);
    expect(device.violations).toEqual([]);
  });

  it('caps transfers at 4096 bytes on a device announcing 8192, each with its own Set Address', async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: { ...profiles.stm32f405!, transferSize: 8192 }, clock });
    const sizes: number[] = [];
    const addresses: number[] = [];
    const events: SessionEvent[] = [];
    const session = await DfuseSession.open(recording(device.open(), sizes, addresses), { clock, onEvent: (e) => events.push(e) });
    expect(session.info.functional.transferSize).toBe(4096);
    const result = await session.program(MemoryImage.fromBytes(0x08000000, foundingFirmware(40 * 1024)), { erase: 'touched', verify: true });
    expect(result.verify?.isMatch).toBe(true);
    expect(Math.max(...sizes)).toBe(4096);
    // 10 chunks written and 10 read back, each after its own Set Address.
    expect(addresses.filter((a) => a >= 0x08000000 && a < 0x0800a000).length).toBeGreaterThanOrEqual(20);
    expect(device.violations).toEqual([]);
    expect(events.some((e) => e.type === 'log' && /capped at 4096/.test(e.message))).toBe(true);
  });
});
