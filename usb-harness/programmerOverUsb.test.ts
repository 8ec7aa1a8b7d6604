// The app's ProgrammerService over real libusb: the service runs as the desktop app composes it
// (NodeUsbBus as its hardware bus) in a client process of the virtual bus, and is called through the
// app's own IPC handlers, so every assertion is about what the window would see: Result values,
// pushed session snapshots, JobResults. The boards are the project's simulator behind the harness.
import type { JobResult, Result, SessionSnapshot } from '../core/contract/programmer.js';
import { writeIntelHex } from '../core/image/intelHex.js';
import { MemoryImage } from '../core/image/memoryImage.js';
import { lcgBytes } from '../core/simulator/pseudoRandom.js';
import { FOUNDING, foundingBytes } from '../cli/testing/foundingImage.js';
import { describeWithHarness, simulatedBoard } from './harnessSuite.js';
import { ProgrammerClient } from './programmerProcess.js';
import { VirtualUsbHost, type PluggedDevice } from './virtualUsbHost.js';

const FLASH = 0x08000000;
function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`call failed: ${JSON.stringify(result.error)}`);
  return result.value;
}

const idOf = (plugged: PluggedDevice) => `usb:1-${plugged.id}`;
const lists = (id: string) => (session: SessionSnapshot) => session.devices.some((device) => device.id === id);

describeWithHarness('ProgrammerService (the app) over NodeUsbBus on the virtual bus', () => {
  let host: VirtualUsbHost;
  let client: ProgrammerClient;

  beforeAll(async () => {
    host = await VirtualUsbHost.start();
    client = await ProgrammerClient.start(host);
    // Starting a tsx process and the service takes a few seconds on a loaded 2-core machine.
  }, 30_000);

  afterAll(async () => {
    await client?.stop();
    await host?.stop();
  });

  afterEach(() => {
    // The service reported no internal error (a bug) in any flow, including the failing ones.
    expect(client.bugs).toEqual([]);
  });

  it('lists a plugged-in STM32L073 as real USB, connects and flashes the founding image given as bytes: verified', async () => {
    const device = simulatedBoard('stm32l073');
    const plugged = await host.plug(device);
    const id = idOf(plugged);

    const devices = value(await client.programmer.listDevices());
    expect(devices).toContainEqual({
      id,
      vendorId: 0x0483,
      productId: 0xdf11,
      bcdDevice: 0x2200,
      path: `1-${plugged.id}`,
      serialNumber: device.descriptors.strings.get(device.descriptors.device[16]!),
      product: 'STM32  BOOTLOADER',
      isSimulated: false,
    });
    expect(value(await client.programmer.getSnapshot()).devices.map((d) => d.id)).toContain(id);

    const info = value(await client.programmer.connect(id));
    expect(info).toMatchObject({ id, family: 'L0', isSimulated: false, manufacturer: 'STMicroelectronics' });
    // The L0's non-standard layout string reached the service through libusb and was read leniently.
    const flash = info.alternates[0]!;
    expect(flash.descriptor).toBe('@Internal Flash  /0x08000000/1536*128g');
    expect(flash.layout?.warnings.map((w) => w.position)).toEqual([29, 37]);
    expect(host.events).toContainEqual({ device: plugged.id, kind: 'claim', arg: 0 });

    const hex = new TextEncoder().encode(writeIntelHex(MemoryImage.fromBytes(FLASH, foundingBytes())));
    const image = value(await client.programmer.openImage({ kind: 'bytes', fileName: 'founding.hex', bytes: hex }));
    expect(image).toMatchObject({ fileName: 'founding.hex', format: 'intel-hex', sizeBytes: FOUNDING.size });
    const { plans } = value(await client.programmer.planProgram({ erase: 'touched', verify: true }));
    expect(plans).toHaveLength(1);
    // Exactly pages 0-521 (the founding case), not the whole 1536-page region.
    expect(plans[0]!.sectors.map((sector) => sector.index)).toEqual(Array.from({ length: FOUNDING.pages }, (_, i) => i));

    const result = value(await client.programmer.program({ options: { erase: 'touched', verify: true } }));
    expect(result).toMatchObject({ kind: 'program', ok: true, deviceId: id, verify: { isMatch: true, mismatchCount: 0, bytesCompared: FOUNDING.size } });
    expect(result.timings.map((t) => t.phase)).toEqual(['erase', 'write', 'verify']);
    expect(device.peek(FLASH, FOUNDING.size)).toEqual(foundingBytes());
    expect(device.violations).toEqual([]);
    // The window learns the result from the pushed snapshot, not only from the call's return value.
    const session = await client.nextSession((s) => s.lastResult?.ok === true);
    expect(session).toMatchObject({ selectedDeviceId: id, lastResult: { kind: 'program', ok: true } });
    // Phase events arrived in order for this device.
    const phases = client.events.flatMap((e) => (e.type === 'phase' && e.deviceId === id ? [`${e.phase}:${e.status}`] : []));
    expect(phases.slice(-6)).toEqual(['erase:start', 'erase:finish', 'write:start', 'write:finish', 'verify:start', 'verify:finish']);

    value(await client.programmer.disconnect());
    expect(host.events).toContainEqual({ device: plugged.id, kind: 'release', arg: 0 });
    await host.unplug(plugged.id);
    await client.nextSession((s) => !lists(id)(s));
  });

  it('follows hotplug: a board plugged in appears in the pushed device list, and pulling the connected board drops it and its session', async () => {
    const device = simulatedBoard('stm32h743');
    const plugged = await host.plug(device);
    const id = idOf(plugged);
    // Nobody called listDevices: the attach came from libusb's hotplug through NodeUsbBus.watch.
    const attached = await client.nextSession(lists(id));
    expect(attached.devices.find((d) => d.id === id)).toMatchObject({ vendorId: 0x0483, productId: 0xdf11, isSimulated: false });
    expect(client.events).toContainEqual({ type: 'log', entry: expect.objectContaining({ topic: 'usb', deviceId: id, message: expect.stringContaining('device attached') }) });

    const info = value(await client.programmer.connect(id));
    expect(info.functional?.transferSize).toBe(1024);
    await host.unplug(plugged.id);
    const detached = await client.nextSession((s) => !lists(id)(s) && s.selectedDeviceId === undefined);
    expect(detached.device).toBeUndefined();
    // A call that needs the board now fails as "connect a device first", not with a USB error.
    const afterwards = await client.programmer.program({ options: { erase: 'touched', verify: true } });
    expect(afterwards).toMatchObject({ ok: false, error: { kind: 'no-device' } });
  });

  it('reports a board unplugged mid-write as a failed JobResult with device-gone, and flashes it once it is back', async () => {
    const device = simulatedBoard('stm32f405:unplugMidWrite');
    const plugged = await host.plug(device);
    const id = idOf(plugged);
    await client.nextSession(lists(id));
    value(await client.programmer.connect(id));
    const code = lcgBytes(64 * 1024, 5);
    value(await client.programmer.openImage({ kind: 'bytes', fileName: 'app.bin', bytes: code, baseAddress: FLASH }));

    const failed: JobResult = value(await client.programmer.program({ options: { erase: 'touched', verify: true } }));
    expect(failed).toMatchObject({ kind: 'program', ok: false, deviceId: id, error: { kind: 'device-gone', during: expect.stringMatching(/^write of \d+ bytes at 0x080/) } });
    // The window keeps the result that says why, while the vanished board is deselected.
    const gone = await client.nextSession((s) => s.selectedDeviceId === undefined && s.lastResult?.ok === false);
    expect(gone.lastResult).toEqual(failed);
    expect(client.events).toContainEqual({ type: 'log', entry: expect.objectContaining({ level: 'error', deviceId: id, message: expect.stringContaining('program failed') }) });

    // The scenario's board comes back (re-enumerated under a new address, as Linux does); hotplug
    // lists it and the same image flashes and verifies.
    const back = await host.nextAttach(device, plugged);
    const backId = idOf(back);
    await client.nextSession((s) => lists(backId)(s) && !lists(id)(s));
    value(await client.programmer.connect(backId));
    const retried = value(await client.programmer.program({ options: { erase: 'touched', verify: true } }));
    expect(retried).toMatchObject({ ok: true, verify: { isMatch: true } });
    expect(device.peek(FLASH, code.length)).toEqual(code);
    expect(device.violations).toEqual([]);
    value(await client.programmer.disconnect());
    await host.unplug(back.id);
  });
});
