// The service's flows against the simulator, on virtual time, with an in-memory Host: what the
// window (and the browser test host) will see through the contract.

import { DfuError } from '../../core/errors.js';
import { validateArguments } from '../../core/contract/validation.js';
import { bootloaderKey } from '../../core/dfuse/bootloaderKey.js';
import { writeIntelHex } from '../../core/image/intelHex.js';
import { MemoryImage } from '../../core/image/memoryImage.js';
import { SimulatedDevice } from '../../core/simulator/device.js';
import { parseSimulatorSpec } from '../../core/simulator/scenarios.js';
import { PROGRESS_INTERVAL_MS } from './progressThrottle.js';
import { SimulatorBus } from '../../core/simulator/bus.js';
import { ProgrammerService } from './programmer.js';
import { expectOk, firmware, FLASH, hexBytes, memoryHost, rejection, setup } from './testing/serviceHarness.js';

describe('ProgrammerService', () => {
  it('offers the demo devices when no hardware is attached, marked as simulated', async () => {
    const { snapshot } = await setup();
    const { devices, selectedDeviceId } = await snapshot();
    expect(devices.map((device) => device.isSimulated)).toEqual([true, true, true]);
    expect(devices.map((device) => device.productId)).toEqual([0xdf11, 0xdf11, 0xdf11]);
    expect(selectedDeviceId).toBeUndefined();
  });

  it('hides demo devices while hardware is attached unless asked to show them', async () => {
    const host = memoryHost();
    const hardware = new SimulatorBus(host.clock);
    const { profile } = parseSimulatorSpec('stm32f072');
    hardware.add(new SimulatedDevice({ profile, clock: host.clock, id: 'usb:1-4', path: '1-4' }));
    const service = await ProgrammerService.create({ host, simulatorBus: new SimulatorBus(host.clock), hardwareBus: hardware });
    expect((await service.getSnapshot()).devices.map((device) => device.id)).toEqual(['usb:1-4']);
    await service.updateSettings({ showSimulatedDevices: true });
    expect((await service.getSnapshot()).devices).toHaveLength(4);
    expect(host.storedSettings).toMatchObject({ showSimulatedDevices: true });
  });

  it('lists hardware in a stable order (natural path order), whatever order the bus reports, simulated devices last', async () => {
    const host = memoryHost();
    const hardware = new SimulatorBus(host.clock);
    const { profile } = parseSimulatorSpec('stm32f072');
    // libusb reports the newest device first.
    for (const path of ['3-1.10', '3-1.2', '1-4']) hardware.add(new SimulatedDevice({ profile, clock: host.clock, id: `usb:${path}`, path }));
    const service = await ProgrammerService.create({ host, simulatorBus: new SimulatorBus(host.clock), hardwareBus: hardware });
    await service.updateSettings({ showSimulatedDevices: true });
    const ids = (await service.getSnapshot()).devices.map((device) => device.id);
    expect(ids.slice(0, 3)).toEqual(['usb:1-4', 'usb:3-1.2', 'usb:3-1.10']);
    expect(ids.slice(3).every((id) => id.startsWith('sim:'))).toBe(true);
    expect(ids).toHaveLength(6);
  });

  it('connects the DFU_SIMULATOR device at start and lists only it', async () => {
    const { snapshot } = await setup({ spec: 'stm32f405' });
    const state = await snapshot();
    expect(state.devices).toHaveLength(1);
    expect(state.selectedDeviceId).toBe(state.devices[0]!.id);
    expect(state.device?.family).toBe('F4');
  });

  it('treats connecting the connected device again as a no-op (the Electron e2e clicks the auto-connected board)', async () => {
    const { service, snapshot } = await setup({ spec: 'stm32f405' });
    const before = await snapshot();
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(1024)) });
    const optionBytes = await service.readOptionBytes();
    const plans = (await snapshot()).preview;
    expect(plans).toBeDefined();
    const again = await service.connect(before.selectedDeviceId!);
    expect(again).toBe(before.device);
    const after = await snapshot();
    // Nothing was reopened or reset: the option bytes read and the plan are still there.
    expect(after.optionBytes).toBe(optionBytes);
    expect(after.preview).toBe(plans);
    expect((await service.getLog()).filter((entry) => entry.message.startsWith('connected to'))).toHaveLength(1);
  });

  it('flashes an image end to end: connect, open, plan, program, verified', async () => {
    const { service, events, device, lastSession } = await setup({ spec: 'stm32l073' });
    const image = firmware(66_748);
    const summary = await service.openImage({ kind: 'bytes', fileName: 'blinky.hex', bytes: hexBytes(image) });
    expect(summary).toMatchObject({ fileName: 'blinky.hex', format: 'intel-hex', sizeBytes: 66_748, blocks: [{ start: FLASH, end: FLASH + 66_748 }] });
    expect(summary?.vectorTable).toMatchObject({ isStackInRam: true, hasThumbBit: true, isResetInImage: true });

    const { plans: [plan] } = await service.planProgram({ erase: 'touched', verify: true });
    // STM32L073: 128-byte pages, so 66,748 bytes touch pages 0..521 (the founding case).
    expect(plan!.sectors).toHaveLength(522);
    expect(plan!.sectors[521]).toMatchObject({ index: 521 });
    expect(plan!.text).toMatch(/erase 522 sectors/);

    events.length = 0;
    const result = await service.program({ options: { erase: 'touched', verify: true } });
    expectOk(result);
    expect(result.verify).toMatchObject({ isMatch: true, bytesCompared: 66_748 });
    expect(result.timings.map((timing) => timing.phase)).toEqual(['erase', 'write', 'verify']);
    expect(device('sim:1').peek(FLASH, 66_748)).toEqual(image.read({ start: FLASH, end: FLASH + 66_748 }, 0));
    expect(lastSession().lastResult).toEqual(result);
    expect(lastSession().job).toBeUndefined();
  });

  it('reads a partly covered sector outside the image before planning: blank asks nothing, data is warned about', async () => {
    const { service, device } = await setup({ spec: 'stm32f405' });
    const flash = device('sim:1').memory(0);
    flash.fill(0xff);
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(0x100)) });
    const { plans: [blank] } = await service.planProgram({ erase: 'touched', verify: true });
    expect(blank!.warnings).toEqual([]);
    expect(blank!.partialSectors).toEqual([{ index: 0, start: FLASH, end: FLASH + 0x4000, where: 'tail', state: 'blank' }]);
    expect(blank!.text).toContain('sector 0 tail is blank: nothing lost');
    // The memory map's device layer: what was read, per sector.
    expect((await service.getSnapshot()).deviceContent?.blankRanges).toEqual([{ start: FLASH + 0x100, end: FLASH + 0x4000 }]);
    // The tail is known now: the job does not read it again and announces no read step.
    const result = await service.program({ options: { erase: 'touched', verify: true } });
    expectOk(result);
    expect(result.timings.map((timing) => timing.phase)).toEqual(['erase', 'write', 'verify']);

    // Sector 1 holds one byte of data in its tail (the session has not read it: flash cannot change
    // behind a session's back, so the data must be there before anything reads it).
    flash[0x7000] = 0x42;
    const second = firmware(0x100, 9).read({ start: FLASH, end: FLASH + 0x100 }, 0xff);
    await service.openImage({ kind: 'bytes', fileName: 'b.hex', bytes: hexBytes(MemoryImage.fromBytes(FLASH + 0x4000, second)) });
    const { plans: [withData] } = await service.planProgram({ erase: 'touched', verify: true });
    expect(withData!.partialSectors).toMatchObject([{ index: 1, state: 'data', lostBytes: 1 }]);
    expect(withData!.warnings.map((warning) => warning.kind)).toEqual(['destroys-data']);
  });

  it('a read back shows in the device-content layer: blank sectors and sectors with data', async () => {
    const { service, device } = await setup({ spec: 'stm32f405' });
    const flash = device('sim:1').memory(0);
    flash.fill(0xff, 0, 0x8000);
    flash[0x4000] = 0x12;
    await service.readMemory({ alternate: 0, start: FLASH, length: 0x8000 });
    const content = (await service.getSnapshot()).deviceContent!;
    expect(content.blankRanges).toContainEqual({ start: FLASH, end: FLASH + 0x4000 });
    expect(content.dataRanges).toContainEqual({ start: FLASH + 0x4000, end: FLASH + 0x8000 });
  });

  it('a differential preview reads the touched sectors first: it names the one sector that changed, and the job reads nothing again', async () => {
    const { service, device } = await setup({ spec: 'stm32l073' });
    const image = firmware(4096);
    const bytes = image.read({ start: FLASH, end: FLASH + 4096 }, 0);
    const flash = device('sim:1').memory(0);
    flash.set(bytes, 0);
    flash[5 * 128 + 7] = flash[5 * 128 + 7]! ^ 0xff; // page 5 differs
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(image) });
    const options = { erase: 'touched' as const, verify: true, differential: true };
    const { plans: [plan] } = await service.planProgram(options);
    expect(plan!.warnings).toEqual([]);
    expect(plan!.unchangedSectors).toBe(31);
    expect(plan!.sectors.map((sector) => sector.index)).toEqual([5]);
    expect(plan!.text).toContain('unchanged 31 sectors');
    const result = await service.program({ options });
    expectOk(result);
    expect(result.timings.map((timing) => timing.phase)).toEqual(['erase', 'write', 'verify']);
    expect(result.verify).toMatchObject({ isMatch: true, bytesCompared: 4096 });
    // The result names its file and says what was done: one 128 B page of 32 written.
    const loaded = (await service.getSnapshot()).image!;
    expect(result.firmware).toEqual({
      fileName: 'a.hex',
      crc32: loaded.crc32,
      imageBytes: 4096,
      work: { bytesWritten: 128, sectorsErased: 1, sectorsBlank: 0, skippedChunks: 0, unchangedSectors: 31 },
    });
    // Still there after another file is opened and the result cleared from the window.
    await service.openImage({ kind: 'bytes', fileName: 'b.hex', bytes: hexBytes(firmware(256)) });
    expect(result.firmware?.fileName).toBe('a.hex');
  });

  it('a failed flash still names its file, without claiming work it did not finish', async () => {
    const { service } = await setup({ spec: 'stm32l073:readProtected' });
    await service.openImage({ kind: 'bytes', fileName: 'locked.hex', bytes: hexBytes(firmware(512)) });
    const result = await service.program({ options: { erase: 'touched', verify: true } });
    expect(result).toMatchObject({ ok: false, error: { kind: 'read-protected' }, firmware: { fileName: 'locked.hex', imageBytes: 512 } });
    expect(result.firmware).not.toHaveProperty('work');
  });

  it('announces the steps of a job from its plan before the first one starts, and none for a connect', async () => {
    const { service, events, snapshot } = await setup({ spec: 'stm32l073' });
    // The board was connected at start: its connect phase is not a job and never reached the window.
    expect(events.some((event) => event.type === 'phase')).toBe(false);
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(4096)) });
    const preview = (await snapshot()).preview!.plans[0]!;
    expect(preview.imageBytes).toBe(4096);
    events.length = 0;
    await service.program({ options: { erase: 'touched', verify: true } });
    const firstPhase = events.findIndex((event) => event.type === 'phase');
    const announced = events.slice(0, firstPhase).flatMap((event) => (event.type === 'session' && event.session.job ? [event.session.job.phases] : [])).at(-1);
    expect(announced).toEqual([
      { phase: 'erase', bytes: 4096 },
      { phase: 'write', bytes: expect.any(Number) },
      { phase: 'verify', bytes: 4096 },
    ]);
    const ran = events.filter((event) => event.type === 'phase' && event.status === 'start').map((event) => (event.type === 'phase' ? event.phase : ''));
    expect(ran).toEqual(announced!.map((step) => step.phase));
  });

  it('keeps the event order of the contract and throttles progress to 20 Hz', async () => {
    const { service, events, host } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(40_000)) });
    const times: number[] = [];
    service.onEvent((event) => {
      if (event.type === 'progress') times.push(host.clock.now());
    });
    events.length = 0;
    await service.program({ options: { erase: 'touched', verify: true } });
    const flow = events.filter((event) => event.type !== 'log');
    for (const phase of ['erase', 'write', 'verify'] as const) {
      const start = flow.findIndex((event) => event.type === 'phase' && event.phase === phase && event.status === 'start');
      const finish = flow.findIndex((event) => event.type === 'phase' && event.phase === phase && event.status === 'finish');
      expect(start).toBeGreaterThanOrEqual(0);
      expect(finish).toBeGreaterThan(start);
      const progress = flow.slice(start + 1, finish).filter((event) => event.type === 'progress');
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.every((event) => event.type === 'progress' && event.phase === phase)).toBe(true);
      const last = progress[progress.length - 1]!;
      expect(last.type === 'progress' && last.done === last.total).toBe(true);
      expect(flow.slice(0, start).some((event) => event.type === 'progress' && event.phase === phase)).toBe(false);
    }
    const lastPhase = flow.map((event) => event.type).lastIndexOf('phase');
    const resultSnapshot = flow.findIndex((event, index) => index > lastPhase && event.type === 'session' && event.session.lastResult !== undefined);
    expect(resultSnapshot).toBeGreaterThan(lastPhase);
    // Within a phase, consecutive updates are at least 50 ms apart except the phase's last one.
    const progressEvents = events.filter((event) => event.type === 'progress');
    for (let index = 1; index < progressEvents.length; index += 1) {
      const previous = progressEvents[index - 1]!;
      const current = progressEvents[index]!;
      if (current.type !== 'progress' || previous.type !== 'progress') continue;
      if (current.phase !== previous.phase || current.done === current.total) continue;
      expect(times[index]! - times[index - 1]!).toBeGreaterThanOrEqual(PROGRESS_INTERVAL_MS);
    }
  });

  it('reports a verification mismatch with the diagnosis when the erase was skipped', async () => {
    const { service } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(4096)) });
    const result = await service.program({ options: { erase: 'none', verify: true } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ kind: 'verify-mismatch' });
    expect(result.verify?.isMatch).toBe(false);
    expect(result.verify?.diagnosis.kind).toBe('not-erased');
  });

  it('serves any window of the last verification, far beyond the report samples, without the device', async () => {
    const { service, device } = await setup({ spec: 'stm32l073' });
    expect((await rejection(service.readVerifyBytes({ start: FLASH, end: FLASH + 16 }))).info).toMatchObject({ argument: 'verification' });
    const image = firmware(40_000, 3);
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(image) });
    const result = await service.program({ options: { erase: 'none', verify: true } });
    const report = result.verify!;
    expect(report.isMatch).toBe(false);
    const last = report.mismatchRanges[report.mismatchRanges.length - 1]!;
    const sampled = (address: number) => report.samples.some((sample) => address >= sample.address && address < sample.address + sample.expected.length);
    expect(sampled(last.start)).toBe(false);

    const start = last.start - 40;
    const onDevice = device('sim:1').peek(start, 40);
    // Served from what main kept: the board may be gone by the time the user scrolls.
    device('sim:1').unplug();
    const window = await service.readVerifyBytes({ start, end: FLASH + 40_000 + 24 });
    expect(window.start).toBe(start);
    expect(window.expected).toEqual(image.read({ start, end: FLASH + 40_000 + 24 }, 0));
    expect(window.actual.subarray(0, 40)).toEqual(onDevice);
    expect(window.actual[last.start - start]).not.toBe(window.expected[last.start - start]);
    // The image ends at FLASH + 40,000: the last 24 bytes of the window hold neither side.
    expect(window.expectedRanges).toEqual([{ start, end: FLASH + 40_000 }]);
    expect(window.actualRanges).toEqual([{ start, end: FLASH + 40_000 }]);
    expect(Array.from(window.actual.subarray(window.actual.length - 24))).toEqual(new Array<number>(24).fill(0));

    expect((await rejection(service.readVerifyBytes({ start: FLASH, end: FLASH + 64 * 1024 + 1 }))).info).toMatchObject({ argument: 'range' });
    expect((await rejection(service.readVerifyBytes({ start: FLASH, end: FLASH }))).info).toMatchObject({ argument: 'range' });
  });

  it('forgets the verification bytes when the next job starts', async () => {
    const { service } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(1024)) });
    expect((await service.verify()).verify).toBeDefined();
    expect((await service.readVerifyBytes({ start: FLASH, end: FLASH + 16 })).expected.length).toBe(16);
    expectOk(await service.erase({ kind: 'range', alternate: 0, start: FLASH, length: 128 }));
    expect((await rejection(service.readVerifyBytes({ start: FLASH, end: FLASH + 16 }))).info).toMatchObject({ argument: 'verification' });
  });

  it('rejects a second job on a busy device and lets the first one finish', async () => {
    const { service } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(8192)) });
    const running = service.program({ options: { erase: 'touched', verify: true } });
    expect((await rejection(service.erase({ kind: 'range', alternate: 0, start: FLASH, length: 128 }))).info).toMatchObject({ kind: 'busy' });
    expect((await rejection(service.disconnect())).info).toMatchObject({ kind: 'busy' });
    expect((await service.connect('sim:1')).id).toBe('sim:1');
    expectOk(await running);
  });

  it('cancels at a safe point and the device can be flashed again', async () => {
    const { service } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(20_000)) });
    const stop = service.onEvent((event) => {
      if (event.type === 'phase' && event.phase === 'write' && event.status === 'start') void service.cancel();
    });
    const cancelled = await service.program({ options: { erase: 'touched', verify: true } });
    stop();
    expect(cancelled).toMatchObject({ ok: false, error: { kind: 'cancelled' } });
    expectOk(await service.program({ options: { erase: 'touched', verify: true } }));
  });

  it('follows hotplug: new devices appear, unplugged ones disappear, the connected one is released', async () => {
    const { service, simulatorBus, device, lastSession } = await setup();
    simulatorBus.addSpec('stm32g474');
    await vi.waitFor(() => expect(lastSession().devices).toHaveLength(4));
    await service.connect('sim:2');
    device('sim:2').unplug();
    await vi.waitFor(() => expect(lastSession().devices.map((entry) => entry.id)).not.toContain('sim:2'));
    expect(lastSession().selectedDeviceId).toBeUndefined();
    expect((await service.getLog()).some((entry) => entry.message === 'device disconnected' && entry.deviceId === 'sim:2')).toBe(true);
    // The same board back on the same port is selected again, as the user left it.
    device('sim:2').replug();
    await vi.waitFor(() => expect(lastSession().selectedDeviceId).toBe('sim:2'));
  });

  it('reports an unplug mid-write as device-gone and flashes after the board comes back', async () => {
    const { service, host, lastSession } = await setup({ spec: 'stm32l073:unplugMidWrite' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(20_000)) });
    const failed = await service.program({ options: { erase: 'touched', verify: true } });
    expect(failed).toMatchObject({ ok: false, error: { kind: 'device-gone' } });
    host.clock.advance(2500);
    await vi.waitFor(() => expect(lastSession().devices).toHaveLength(1));
    // Back on the same port: selected again without a click.
    await vi.waitFor(() => expect(lastSession().selectedDeviceId).toBe('sim:1'));
    expectOk(await service.program({ options: { erase: 'touched', verify: true } }));
  });

  it('keeps the device-gone result in the snapshot after the board vanished mid-write', async () => {
    const { service, snapshot, lastSession } = await setup({ spec: 'stm32l073:unplugMidWrite' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(20_000)) });
    const failed = await service.program({ options: { erase: 'touched', verify: true } });
    expect(failed).toMatchObject({ ok: false, error: { kind: 'device-gone' } });
    const state = await snapshot();
    expect(state.selectedDeviceId).toBeUndefined();
    expect(state.lastResult).toEqual(failed);
    expect(lastSession().lastResult).toEqual(failed);
  });

  it('reads, edits and writes option bytes, then reconnects after the reset', async () => {
    const { service, host, lastSession } = await setup({ spec: 'stm32f405' });
    const before = await service.readOptionBytes();
    expect(before.rdpLevel).toBe(0);
    const field = before.fields.find((candidate) => candidate.editable && candidate.kind === 'enum' && candidate.maxValue === 1 && candidate.group === 'user')!;
    expect(field).toBeDefined();
    const result = await service.writeOptionBytes({ changes: { [field.id]: field.value ? 0 : 1 } });
    expectOk(result);
    host.clock.advance(2000);
    await vi.waitFor(() => expect(lastSession().selectedDeviceId).toBe('sim:1'));
    const after = await service.readOptionBytes();
    expect(after.fields.find((candidate) => candidate.id === field.id)?.value).toBe(field.value ? 0 : 1);
  });

  it('reads the option bytes as the board connects, and says what read protection a write left behind', async () => {
    const { service, host, lastSession, snapshot } = await setup({ spec: 'stm32l073' });
    const connected = await snapshot();
    expect(connected.optionBytes).toMatchObject({ rdpLevel: 0, hasRdp: true });
    expect(connected.readProtection).toBe(0);
    expect(connected.optionBytes!.fields.find((field) => field.id === 'iwdg_sw')!.meaning).toBe('Software watchdog (started by firmware)');
    const protect = await service.writeOptionBytes({ changes: { rdp: 0xbb } });
    expect(protect).toMatchObject({ ok: true, kind: 'option-bytes-write', readProtection: 1 });
    host.clock.advance(2000);
    // The bootloader refuses to read them under read protection, which says the level all the same.
    await vi.waitFor(() => expect(lastSession().readProtection).toBe(1));
    expect(lastSession().optionBytes).toBeUndefined();
  });

  it('says the change waits for the next reset when the bootloader answers an option-byte write without resetting', async () => {
    const { service, host, lastSession } = await setup({ spec: 'stm32l073:noResetAfterOptionBytes' });
    const protect = await service.writeOptionBytes({ changes: { rdp: 0xbb } });
    expectOk(protect);
    // The chip still runs with RDP 0 until it resets: no read protection is claimed.
    expect(protect).not.toHaveProperty('readProtection');
    host.clock.advance(2000);
    await vi.waitFor(() => expect(lastSession().selectedDeviceId).toBe('sim:1'));
    const messages = (await service.getLog()).map((entry) => entry.message);
    expect(messages).toContain('Option bytes written; the bootloader did not reset, so they apply at the next reset: power-cycle the board (or reset it) to load them');
    expect(messages.some((message) => message.includes('the device resets to apply them'))).toBe(false);
  });

  it('refuses RDP level 2 without the permanent-lock confirmation, before touching the device', async () => {
    const { service } = await setup({ spec: 'stm32f405' });
    const decoded = await service.readOptionBytes();
    const rdp = decoded.fields.find((field) => field.group === 'read-protection')!;
    const error = await rejection(service.writeOptionBytes({ changes: { [rdp.id]: 0xcc } }));
    expect(error.info).toMatchObject({ kind: 'confirmation-required', action: 'permanent-lock' });
  });

  it('takes a read-protected device through read unprotect to a successful flash', async () => {
    const { service, host, lastSession } = await setup({ spec: 'stm32l073:readProtected' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(4096)) });
    const refused = await service.program({ options: { erase: 'touched', verify: true } });
    expect(refused).toMatchObject({ ok: false, error: { kind: 'read-protected' } });
    const unconfirmed = await rejection(service.readUnprotect({} as { eraseAllFlash: true }));
    expect(unconfirmed.info).toMatchObject({ kind: 'confirmation-required', action: 'read-unprotect' });
    expectOk(await service.readUnprotect({ eraseAllFlash: true }));
    host.clock.advance(5000);
    await vi.waitFor(() => expect(lastSession().selectedDeviceId).toBe('sim:1'));
    expectOk(await service.program({ options: { erase: 'touched', verify: true } }));
  });

  it('reads memory back and saves it as Intel HEX', async () => {
    const { service, host } = await setup({ spec: 'stm32l073' });
    const summary = await service.readMemory({ alternate: 0, start: FLASH, length: 256 });
    expect(summary).toMatchObject({ sizeBytes: 256, blocks: [{ start: FLASH, end: FLASH + 256 }] });
    host.savePath = '/backups/l073.hex';
    expect(await service.saveReadBack('hex')).toBe('/backups/l073.hex');
    expect(host.fileSystem.get('/backups/l073.hex')).toMatch(/^:020000040800F2/);
    host.savePath = undefined;
    expect(await service.saveReadBack('bin')).toBeNull();
  });

  it('honours the flash size saved for the L072xB bootloader: program, mass erase and read stay below 0x08020000', async () => {
    const { service, device, snapshot } = await setup({ spec: 'stm32l072xb' });
    const key = bootloaderKey((await snapshot()).device!);
    await service.updateSettings({ flashSizeLimits: { [key]: 128 * 1024 } });
    await service.openImage({ kind: 'bytes', fileName: 'big.hex', bytes: hexBytes(firmware(160 * 1024)) });
    expect((await snapshot()).preview).toBeUndefined();
    const refused = await service.program({ options: { erase: 'touched', verify: true } });
    expect(refused).toMatchObject({ ok: false, error: { kind: 'not-writable', address: 0x08020000 } });
    expect(device('sim:1').stats.operations.erase).toBe(0);

    expectOk(await service.erase({ kind: 'mass' }));
    expect(device('sim:1').stats.operations).toMatchObject({ massErase: 0, erase: 1024 });
    // The option bytes were read as the board connected (their own alt setting); the refused read adds no upload.
    const uploadsBefore = device('sim:1').stats.operations.upload;
    const read = await rejection(service.readMemory({ alternate: 0, start: FLASH, length: 192 * 1024 }));
    expect(read.info).toMatchObject({ kind: 'invalid-argument', argument: 'range' });
    expect(read.message).toContain('reading would reach 0x08020000');
    expect(device('sim:1').stats.operations.upload).toBe(uploadsBefore);
  });

  it('applies a saved flash size only to devices with the same bootloader: an F405 plans above 128 KiB, the L072xB again does not', async () => {
    const { service, simulatorBus, snapshot, lastSession, host } = await setup({ spec: 'stm32l072xb' });
    const l072 = (await snapshot()).device!;
    expect((await snapshot()).bootloaderKey).toBe(bootloaderKey(l072));
    await service.updateSettings({ flashSizeLimits: { [bootloaderKey(l072)]: 128 * 1024 } });
    await service.openImage({ kind: 'bytes', fileName: 'big.hex', bytes: hexBytes(firmware(160 * 1024)) });
    expect(await rejection(service.planProgram({ erase: 'touched', verify: true }))).toMatchObject({ info: { kind: 'not-writable', address: 0x08020000 } });

    simulatorBus.addSpec('stm32f405');
    await vi.waitFor(() => expect(lastSession().devices.map((entry) => entry.id)).toContain('sim:2'));
    await service.connect('sim:2');
    expect((await snapshot()).bootloaderKey).not.toBe(bootloaderKey(l072));
    expect((await snapshot()).preview).toBeDefined();
    const { plans: [plan] } = await service.planProgram({ erase: 'touched', verify: true });
    expect(plan?.bytesToWrite).toBeGreaterThanOrEqual(160 * 1024);
    expect(await service.readMemory({ alternate: 0, start: FLASH, length: 192 * 1024 })).toMatchObject({ sizeBytes: 192 * 1024 });
    expect(host.storedSettings).toMatchObject({ flashSizeLimits: { [bootloaderKey(l072)]: 128 * 1024 }, programOptions: { erase: 'touched', verify: true } });

    await service.connect('sim:1');
    expect((await snapshot()).preview).toBeUndefined();
    expect(await rejection(service.planProgram({ erase: 'touched', verify: true }))).toMatchObject({ info: { kind: 'not-writable', address: 0x08020000 } });
    expect((await rejection(service.readMemory({ alternate: 0, start: FLASH, length: 192 * 1024 }))).message).toContain('reading would reach 0x08020000');

    // Without the saved size the flash-size register (F_SIZE, read at connect) still says 128 KiB.
    await service.updateSettings({ flashSizeLimits: {} });
    expect((await snapshot()).preview).toBeUndefined();
    expect(await rejection(service.planProgram({ erase: 'touched', verify: true }))).toMatchObject({ info: { kind: 'not-writable', address: 0x08020000, detail: expect.stringContaining('flash-size register') } });
  });

  it('keeps a log, writes it to the day file and exports it', async () => {
    const { service, host } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(1024)) });
    await service.program({ options: { erase: 'touched', verify: true } });
    const log = await service.getLog();
    expect(log.some((entry) => entry.topic === 'erase' && entry.deviceId === 'sim:1')).toBe(true);
    host.savePath = '/export/log.txt';
    expect(await service.exportLog()).toBe('/export/log.txt');
    const exported = host.fileSystem.get('/export/log.txt') as string;
    expect(exported.split('\n').filter(Boolean)).toHaveLength(log.length);
    expect(exported).toMatch(/INFO {2}app \[sim:1\]: connected to/);
    await service.dispose();
    expect(host.fileSystem.get('/user-data/logs/dfu-desk-2025-11-23.log')).toMatch(/program finished/);
  });

  it('forgets the last result when another file is opened: it was about the previous one', async () => {
    const { service, lastSession } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(1024)) });
    expectOk(await service.program({ options: { erase: 'touched', verify: true } }));
    expect(lastSession().lastResult).toMatchObject({ kind: 'program', ok: true });
    await service.openImage({ kind: 'bytes', fileName: 'b.hex', bytes: hexBytes(firmware(2048, 3)) });
    expect(lastSession().lastResult).toBeUndefined();
  });

  it('notices a rebuilt file and reloads it', async () => {
    const { service, host, lastSession } = await setup({ spec: 'stm32l073' });
    host.fileSystem.set('/fw/app.hex', writeIntelHex(firmware(2048, 1)));
    host.openPath = '/fw/app.hex';
    const first = await service.openImage({ kind: 'dialog' });
    expect(first?.path).toBe('/fw/app.hex');
    expect(lastSession().settings.recentFiles).toEqual(['/fw/app.hex']);
    expect(lastSession().recentFiles).toEqual([{ token: first?.token, path: '/fw/app.hex', fileName: 'app.hex' }]);
    host.fileSystem.set('/fw/app.hex', writeIntelHex(firmware(2048, 2)));
    host.watchers.get('/fw/app.hex')!();
    expect(lastSession().isImageStale).toBe(true);
    const second = await service.reloadImage();
    expect(second?.crc32).not.toBe(first?.crc32);
    expect(lastSession().isImageStale).toBe(false);
  });

  it('opens files only by the tokens it granted: the dialog, a drop, the recent files', async () => {
    const { service, host, lastSession } = await setup({ spec: 'stm32l073' });
    host.fileSystem.set('/fw/app.hex', writeIntelHex(firmware(2048, 1)));
    host.fileSystem.set('/home/me/.ssh/id_ed25519', 'secret');
    // A token nobody was given, even one of the right shape, opens nothing.
    const forged = await rejection(service.openImage({ kind: 'file', token: '0'.repeat(32) }));
    expect(forged.info).toMatchObject({ kind: 'invalid-argument', argument: 'source.token' });
    // The dialog's choice is granted, lands in the recent files, and its token opens it again.
    host.openPath = '/fw/app.hex';
    const opened = await service.openImage({ kind: 'dialog' });
    expect(opened?.token).toMatch(/^[0-9a-f]{32}$/);
    const recent = lastSession().recentFiles[0]!;
    expect(recent).toEqual({ token: opened?.token, path: '/fw/app.hex', fileName: 'app.hex' });
    expect((await service.openImage({ kind: 'file', token: recent.token, baseAddress: 0x0800_0000 }))?.crc32).toBe(opened?.crc32);
    // A dropped file's path comes from the preload (ipcHandlers.ts); the same path keeps its token.
    expect(service.grantFile('/fw/app.hex').token).toBe(recent.token);
    // The window cannot add to the recent files (they would be granted): the patch refuses the field.
    expect(() => validateArguments('updateSettings', [{ recentFiles: ['/home/me/.ssh/id_ed25519'] }])).toThrow(/patch.recentFiles: unknown field/);
    expect(lastSession().recentFiles.map((file) => file.path)).toEqual(['/fw/app.hex']);
  });

  it('places a raw binary at the start of the device flash unless told otherwise', async () => {
    const { service } = await setup({ spec: 'stm32l073' });
    const bytes = firmware(512).read({ start: FLASH, end: FLASH + 512 }, 0);
    const placed = await service.openImage({ kind: 'bytes', fileName: 'app.bin', bytes });
    expect(placed).toMatchObject({ format: 'binary', blocks: [{ start: FLASH }] });
    expect(placed?.warnings[0]).toMatch(/placed at 0x08000000/);
    const moved = await service.openImage({ kind: 'bytes', fileName: 'app.bin', bytes, baseAddress: 0x0800_4000 });
    expect(moved).toMatchObject({ blocks: [{ start: 0x0800_4000 }] });
    expect(moved?.warnings.some((warning) => warning.includes('placed at'))).toBe(false);
  });

  it('turns an unreadable file into a located image error and a bug into an internal error', async () => {
    const { service, host } = await setup();
    const { token } = service.grantFile('/missing.hex');
    expect((await rejection(service.openImage({ kind: 'file', token }))).info).toMatchObject({
      kind: 'image-format',
      file: 'missing.hex',
    });
    host.dialogs.openFirmware = () => Promise.reject(new TypeError('dialog exploded'));
    expect((await rejection(service.openImage({ kind: 'dialog' }))).info).toEqual({ kind: 'internal', message: 'dialog exploded' });
    expect(host.bugs).toHaveLength(1);
    expect((await service.getLog()).some((entry) => entry.level === 'error' && entry.message.includes('TypeError: dialog exploded'))).toBe(true);
  });

  it('flashes each board that appears when flash on connect is on, with a tally', async () => {
    const { service, simulatorBus, device, lastSession } = await setup({ demoProfiles: [] });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(2048)) });
    await service.updateSettings({ flashOnConnect: true });
    simulatorBus.addSpec('stm32l073');
    await vi.waitFor(() => expect(lastSession().tally).toEqual({ passed: 1, failed: 0 }));
    simulatorBus.addSpec('stm32l073:writeError');
    await vi.waitFor(() => expect(lastSession().tally).toEqual({ passed: 1, failed: 1 }));
    expect(device('sim:1').peek(FLASH, 8)).toEqual(firmware(2048).read({ start: FLASH, end: FLASH + 8 }, 0));
  });

  it('saves a flash report after programming', async () => {
    const { service, host } = await setup({ spec: 'stm32l073' });
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(1024)) });
    expect((await rejection(service.saveReport())).info).toMatchObject({ kind: 'invalid-argument' });
    await service.program({ options: { erase: 'touched', verify: true } });
    host.savePath = '/reports/board.json';
    expect(await service.saveReport()).toBe('/reports/board.json');
    const report = JSON.parse(host.fileSystem.get('/reports/board.json') as string) as Record<string, unknown>;
    expect(report).toMatchObject({ operation: 'flash', result: 'passed', tool: { interface: 'app' }, image: { fileName: 'a.hex' } });
  });

  it('proposes save names that are safe on every OS, whatever serial the board reports', async () => {
    const { service, host, simulatorBus } = await setup({ demoProfiles: [] });
    const hostile = simulatorBus.addSpec('stm32l073', { id: 'sim:evil', serial: '../../.ssh/CON:x*' });
    await service.connect(hostile.summary.id);
    await service.readMemory({ alternate: 0, start: FLASH, length: 256 });
    host.savePath = '/backups/x.hex';
    await service.saveReadBack('hex');
    await service.openImage({ kind: 'bytes', fileName: 'a.hex', bytes: hexBytes(firmware(1024)) });
    await service.program({ options: { erase: 'touched', verify: true } });
    host.savePath = '/reports/x.html';
    await service.saveReport();
    expect(host.savedNames).toHaveLength(2);
    for (const name of host.savedNames) {
      // No separator, drive colon or wildcard: ".." without a separator is just a name.
      expect(name).not.toMatch(/[\\/:*?"<>|]/);
      expect(name.startsWith('.')).toBe(false);
      expect(name).toContain('_.._.ssh_CON_x_');
    }
  });

  it('turns a failed save (disk full) into the output-file error, and keeps nothing half-written', async () => {
    const { service, host } = await setup({ spec: 'stm32l073' });
    await service.readMemory({ alternate: 0, start: FLASH, length: 256 });
    host.files.writeFile = () =>
      Promise.reject(new DfuError({ kind: 'output-file', path: '/full/x.hex', folder: '/full', problem: 'disk-full', detail: 'ENOSPC' }));
    host.savePath = '/full/x.hex';
    expect((await rejection(service.saveReadBack('hex'))).info).toMatchObject({ kind: 'output-file', problem: 'disk-full' });
    expect(host.fileSystem.has('/full/x.hex')).toBe(false);
  });

  it('needs a device and an image before planning', async () => {
    const { service } = await setup();
    expect((await rejection(service.planProgram({ erase: 'touched', verify: true }))).info.kind).toBe('no-device');
    await service.connect('sim:1');
    expect((await rejection(service.planProgram({ erase: 'touched', verify: true }))).info).toMatchObject({ argument: 'image' });
  });
});
