// The engine through real libusb: DfuseSession over NodeUsbBus (in a client process with umockdev's
// preload) flashes, verifies and reads back simulated L073, F405 and H743 bootloaders on the
// virtual bus, and reports a device that disappears mid-write the way the user sees it.
import { profiles } from '../core/simulator/profiles.js';
import { lcgBytes } from '../core/simulator/pseudoRandom.js';
import { ClientError } from './clientProcess.js';
import { describeWithHarness, simulatedBoard, useBusWithClient } from './harnessSuite.js';

const FLASH = 0x08000000;
describeWithHarness('DfuseSession over NodeUsbBus on the virtual bus', () => {
  const bus = useBusWithClient();

  it.each(['stm32l073', 'stm32f405', 'stm32h743'])('%s: flashes a two-block image, verifies it and reads it back', async (profileId) => {
    expect(profiles[profileId]).toBeDefined();
    const device = simulatedBoard(profileId);
    const plugged = await bus.host.plug(device);
    // An odd-length application and a small configuration block further up, as a linker makes them.
    const code = lcgBytes(24 * 1024 + 333, 1);
    const config = lcgBytes(300, 2);
    const configAt = FLASH + 0x20000;
    const outcome = await bus.client.call('program', `usb:1-${plugged.id}`, {
      blocks: [
        { start: FLASH, data: code },
        { start: configAt, data: config },
      ],
      options: { erase: 'touched', verify: true },
      readBack: [
        { start: FLASH, end: FLASH + code.length },
        { start: configAt, end: configAt + config.length },
      ],
    });

    expect(outcome.verify).toMatchObject({ isMatch: true, mismatchCount: 0 });
    expect(outcome.readBack).toEqual([code, config]);
    expect(device.peek(FLASH, code.length)).toEqual(code);
    expect(device.peek(configAt, config.length)).toEqual(config);
    expect(device.violations).toEqual([]);
    expect(outcome.bytesWritten).toBeGreaterThanOrEqual(code.length + config.length);
    expect(outcome.phases.map((p) => `${p.phase}:${p.status}`)).toEqual([
      'connect:start',
      'connect:finish',
      'erase:start',
      'erase:finish',
      'write:start',
      'write:finish',
      'verify:start',
      'verify:finish',
      'read:start',
      'read:finish',
      'read:start',
      'read:finish',
    ]);
    // Every control transfer the session counted reached the device through libusb and the
    // harness (plus the descriptor and string reads of open()).
    expect(bus.host.stats(plugged.id).classRequests).toBeGreaterThanOrEqual(outcome.controlTransfers);
    await bus.host.unplug(plugged.id);
  });

  it('a GETSTATUS STALLed while a sector erase runs reaches the engine as a STALL, and it recovers', async () => {
    // Real time: at 100x the erase is over before the next poll arrives and nothing is STALLed. An
    // F405 sector erase (400 ms) outlasts the family's first guess (310 ms), so a poll arrives early.
    const device = simulatedBoard('stm32f405:pollStall', 1);
    const plugged = await bus.host.plug(device);
    const code = lcgBytes(8192, 4);
    const outcome = await bus.client.call('program', `usb:1-${plugged.id}`, { blocks: [{ start: FLASH, data: code }], options: { erase: 'touched', verify: true } });
    expect(device.stats.stalls).toBeGreaterThan(0);
    expect(outcome.verify).toMatchObject({ isMatch: true });
    expect(device.peek(FLASH, code.length)).toEqual(code);
    expect(device.violations).toEqual([]);
    await bus.host.unplug(plugged.id);
  });

  it('stm32f405 answering early polls with STALLs, EPROTO (LIBUSB_ERROR_IO) and dfuDNBUSY: counted as busy, flashed and verified', async () => {
    // Real time (speed 1): the polls arrive while the sector erases run.
    const device = simulatedBoard('stm32f405:pollFlaky:3', 1);
    const plugged = await bus.host.plug(device);
    const code = lcgBytes(20 * 1024, 5);
    const outcome = await bus.client.call('program', `usb:1-${plugged.id}`, { blocks: [{ start: FLASH, data: code }], options: { erase: 'touched', verify: true } });
    expect(outcome.verify).toMatchObject({ isMatch: true });
    expect(device.peek(FLASH, code.length)).toEqual(code);
    expect(device.stats.requests.getStatus).toBeGreaterThan(outcome.controlTransfers / 4);
    expect(device.violations).toEqual([]);
    // Every open and claim of this device was matched by a close and a release.
    const events = bus.host.events.filter((e) => e.device === plugged.id);
    expect(events.filter((e) => e.kind === 'claim').length).toBe(events.filter((e) => e.kind === 'release').length);
    await bus.host.unplug(plugged.id);
  });

  it('reports a board unplugged in the middle of the write as device-gone', async () => {
    const device = simulatedBoard('stm32f405:unplugMidWrite');
    const plugged = await bus.host.plug(device);
    const failure = await bus.client
      .call('program', `usb:1-${plugged.id}`, { blocks: [{ start: FLASH, data: lcgBytes(64 * 1024, 3) }], options: { erase: 'touched', verify: true } })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ClientError);
    expect((failure as ClientError).serialized.info).toEqual({ kind: 'device-gone', during: expect.stringMatching(/^write of \d+ bytes at 0x080/) });
    // The board is off the bus for every client, not just for the session that saw it go.
    expect((await bus.client.call('list')).some((d) => d.id === `usb:1-${plugged.id}`)).toBe(false);
    expect(device.isConnected).toBe(false);
  });
});
