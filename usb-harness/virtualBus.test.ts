// The virtual USB bus itself, seen through real libusb: the production adapter (NodeUsbBus, in a
// client process with umockdev's preload) and dfu-util talk to a scripted device whose answers the
// test controls, so listing, descriptors, strings, control transfers, alt settings, held replies,
// timeouts, hotplug and an unplug mid-transfer are each checked against what the device saw.
import { buildDescriptors } from '../core/simulator/descriptorBuilder.js';
import { TransferError, type RawDeviceDescriptors } from '../core/usb/transport.js';
import { ClientError } from './clientProcess.js';
import { dfuUtilVersion, runDfuUtil } from './dfuUtil.js';
import { describeWithHarness, useBusWithClient } from './harnessSuite.js';
import type { VirtualDevice } from './virtualUsbHost.js';

const alternateNames = ['@Internal Flash  /0x08000000/1536*128 g', '@Option Bytes  /0x1FF80000/01*032 e', '@Data EEPROM /0x08080000/012*256 e'];

type Answer = (request: number, value: number, payload: number | Uint8Array | undefined) => Promise<Uint8Array | number>;

/** A device whose class requests the test answers; it records everything it receives. */
class ScriptedDevice implements VirtualDevice {
  readonly descriptors: RawDeviceDescriptors;
  readonly received: string[] = [];
  readonly alternates: number[] = [];
  answer: Answer | undefined;
  private stored = new Uint8Array(0);

  constructor(serial: string) {
    this.descriptors = buildDescriptors({
      vendorId: 0x0483,
      productId: 0xdf11,
      bcdDevice: 0x2200,
      manufacturer: 'STMicroelectronics',
      product: 'STM32  BOOTLOADER',
      serial,
      alternateNames,
      attributes: 0x0b,
      detachTimeoutMs: 255,
      transferSize: 2048,
    });
  }

  async controlIn(request: number, value: number, length: number): Promise<Uint8Array> {
    this.received.push(`in ${request} ${value} ${length}`);
    if (this.answer) return (await this.answer(request, value, length)) as Uint8Array;
    if (request === 2) return this.stored.slice(0, length); // UPLOAD: echo what was downloaded
    if (request === 3) return Uint8Array.of(0, 5, 0, 0, 2, 0); // GETSTATUS: OK, 5 ms, dfuIDLE
    throw new TransferError('stall', `request ${request} not supported`);
  }

  async controlOut(request: number, value: number, data?: Uint8Array): Promise<number> {
    this.received.push(`out ${request} ${value} ${data?.length ?? 0}`);
    if (this.answer) return (await this.answer(request, value, data)) as number;
    if (request === 1) this.stored = data ? data.slice() : new Uint8Array(0);
    return data?.length ?? 0;
  }

  rejectAlternates = false;

  selectAlternate(alternate: number): Promise<void> {
    if (this.rejectAlternates) return Promise.reject(new TransferError('stall', `alternate ${alternate} refused`));
    this.alternates.push(alternate);
    return Promise.resolve();
  }
}

function failureOf(error: unknown): string | undefined {
  return error instanceof ClientError ? (error.serialized.failure ?? error.serialized.info?.kind) : undefined;
}

describeWithHarness('virtual USB bus through libusb', () => {
  const bus = useBusWithClient();

  it('lists the device and reads descriptors, strings and the functional descriptor through NodeUsbBus', async () => {
    const device = new ScriptedDevice('2079366B5232');
    const plugged = await bus.host.plug(device);
    const listed = await bus.client.call('list');
    const summary = listed.find((d) => d.path === `1-${plugged.id}`);
    expect(summary).toEqual({
      id: `usb:1-${plugged.id}`,
      vendorId: 0x0483,
      productId: 0xdf11,
      bcdDevice: 0x2200,
      path: `1-${plugged.id}`,
      serialNumber: '2079366B5232',
      product: 'STM32  BOOTLOADER',
      isSimulated: false,
    });

    const opened = await bus.client.call('open', summary!.id);
    try {
      expect(opened.device).toEqual(device.descriptors.device);
      expect(opened.configuration).toEqual(device.descriptors.configuration);
      expect(new Map(opened.strings)).toEqual(device.descriptors.strings);
      const info = await bus.client.call('describe', opened.handle);
      expect(info.functional).toMatchObject({ attributes: 0x0b, canDownload: true, canUpload: true, manifestationTolerant: false, willDetach: true, detachTimeoutMs: 255, transferSize: 2048, dfuVersion: 0x011a });
      expect(info.alternates.map((a) => [a.alternate, a.name, a.layout?.region.segments[0]?.start])).toEqual([
        [0, 'Internal Flash', 0x08000000],
        [1, 'Option Bytes', 0x1ff80000],
        [2, 'Data EEPROM', 0x08080000],
      ]);
      expect(info.manufacturer).toBe('STMicroelectronics');
      expect(bus.host.events).toContainEqual({ device: plugged.id, kind: 'claim', arg: 0 });
    } finally {
      await bus.client.call('close', opened.handle);
    }
    expect(bus.host.events).toContainEqual({ device: plugged.id, kind: 'release', arg: 0 });
    await bus.host.unplug(plugged.id);
  });

  it('carries class requests both ways, maps a STALL, and selects alternate settings', async () => {
    const device = new ScriptedDevice('A1');
    const plugged = await bus.host.plug(device);
    const opened = await bus.client.call('open', `usb:1-${plugged.id}`);
    try {
      const block = Uint8Array.from({ length: 2048 }, (_, i) => (i * 7) & 0xff);
      expect(await bus.client.call('controlOut', opened.handle, 1, 2, block)).toBe(2048);
      expect(await bus.client.call('controlIn', opened.handle, 2, 2, 2048)).toEqual(block);
      expect(await bus.client.call('controlIn', opened.handle, 2, 3, 100)).toEqual(block.subarray(0, 100));
      const stalled = await bus.client.call('controlIn', opened.handle, 7, 0, 6).catch((e: unknown) => e);
      expect(failureOf(stalled)).toBe('stall');
      // The pipe works again after a STALL, as on real hardware.
      expect(await bus.client.call('controlIn', opened.handle, 3, 0, 6)).toEqual(Uint8Array.of(0, 5, 0, 0, 2, 0));

      await bus.client.call('selectAlternate', opened.handle, 2);
      await bus.client.call('selectAlternate', opened.handle, 1);
      expect(device.alternates).toEqual([2, 1]);
      // Linux refuses an alternate the configuration does not have (EINVAL, LIBUSB_ERROR_NOT_FOUND)
      // before the device sees it; a device that STALLs SET_INTERFACE gives LIBUSB_ERROR_OTHER.
      // Neither is a pipe error in libusb, so both reach the engine as 'io'.
      const refused = await bus.client.call('selectAlternate', opened.handle, 3).catch((e: unknown) => e);
      expect(failureOf(refused)).toBe('io');
      device.rejectAlternates = true;
      const stalled2 = await bus.client.call('selectAlternate', opened.handle, 0).catch((e: unknown) => e);
      expect(failureOf(stalled2)).toBe('io');
      expect(device.received).toEqual(['out 1 2 2048', 'in 2 2 2048', 'in 2 3 100', 'in 7 0 6', 'in 3 0 6']);
    } finally {
      await bus.client.call('close', opened.handle);
      await bus.host.unplug(plugged.id);
    }
  });

  it('completes a reply the device holds back (busy GETSTATUS) without blocking the client', async () => {
    const device = new ScriptedDevice('B2');
    const plugged = await bus.host.plug(device);
    const opened = await bus.client.call('open', `usb:1-${plugged.id}`);
    try {
      let release: () => void = () => undefined;
      device.answer = (request) =>
        request === 3 ? new Promise((resolve) => (release = () => resolve(Uint8Array.of(0, 0, 0, 0, 5, 0)))) : Promise.resolve(0);
      const pending = bus.client.call('controlIn', opened.handle, 3, 0, 6);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The client process stays responsive while its transfer waits for the device.
      expect((await bus.client.call('list')).some((d) => d.id === `usb:1-${plugged.id}`)).toBe(true);
      release();
      expect(await pending).toEqual(Uint8Array.of(0, 0, 0, 0, 5, 0));
    } finally {
      await bus.client.call('close', opened.handle);
      await bus.host.unplug(plugged.id);
    }
  });

  it('reports a transfer the device never answers as a timeout, and the next one works', async () => {
    const device = new ScriptedDevice('C3');
    const plugged = await bus.host.plug(device);
    await bus.client.call('configure', { timeoutMs: 200, statusTimeoutMs: 200 });
    const opened = await bus.client.call('open', `usb:1-${plugged.id}`);
    try {
      let release: () => void = () => undefined;
      device.answer = () => new Promise((resolve) => (release = () => resolve(Uint8Array.of(1))));
      const lost = await bus.client.call('controlIn', opened.handle, 5, 0, 1).catch((e: unknown) => e);
      expect(failureOf(lost)).toBe('timeout');
      expect(bus.host.events.filter((e) => e.device === plugged.id && e.kind === 'discard')).toHaveLength(1);
      // The device finally answers the abandoned request; that answer must not reach the next one.
      release();
      device.answer = undefined;
      expect(await bus.client.call('controlIn', opened.handle, 3, 0, 6)).toEqual(Uint8Array.of(0, 5, 0, 0, 2, 0));
      expect(bus.host.stats(plugged.id).cancelled).toBe(1);
    } finally {
      await bus.client.call('close', opened.handle);
      await bus.client.call('configure', {});
      await bus.host.unplug(plugged.id);
    }
  });

  it('delivers hotplug attach and detach to NodeUsbBus.watch', async () => {
    await bus.client.call('watch');
    try {
      const plugged = await bus.host.plug(new ScriptedDevice('D4'));
      const id = `usb:1-${plugged.id}`;
      const attach = await bus.client.nextBusEvent((e) => e.type === 'attach' && e.device.id === id);
      expect(attach).toMatchObject({ type: 'attach', device: { vendorId: 0x0483, productId: 0xdf11, path: `1-${plugged.id}` } });
      await bus.host.unplug(plugged.id);
      expect(await bus.client.nextBusEvent((e) => e.type === 'detach' && e.id === id)).toEqual({ type: 'detach', id });
      expect((await bus.client.call('list')).some((d) => d.id === id)).toBe(false);
    } finally {
      await bus.client.call('unwatch');
    }
  });

  it('fails a transfer in flight with "disconnected" when the device is unplugged, and every later one too', async () => {
    const device = new ScriptedDevice('E5');
    const plugged = await bus.host.plug(device);
    const opened = await bus.client.call('open', `usb:1-${plugged.id}`);
    try {
      device.answer = () => new Promise(() => undefined); // busy forever, like a flash operation
      const inFlight = bus.client.call('controlIn', opened.handle, 3, 0, 6).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await bus.host.unplug(plugged.id);
      expect(failureOf(await inFlight)).toBe('disconnected');
      expect(failureOf(await bus.client.call('controlOut', opened.handle, 6, 0).catch((e: unknown) => e))).toBe('disconnected');
      const reopened = await bus.client.call('open', `usb:1-${plugged.id}`).catch((e: unknown) => e);
      expect(failureOf(reopened)).toBe('no-device');
    } finally {
      await bus.client.call('close', opened.handle);
    }
  });

  it.runIf(dfuUtilVersion() !== null)('is listed by dfu-util with its alt-setting names and serial number', async () => {
    const plugged = await bus.host.plug(new ScriptedDevice('F6'));
    try {
      const run = await runDfuUtil(bus.host, ['-l']);
      expect(run.code).toBe(0);
      const found = run.stdout.split('\n').filter((line) => line.startsWith('Found DFU'));
      expect(found).toHaveLength(3);
      for (const [alternate, name] of alternateNames.entries()) {
        expect(found).toContainEqual(
          `Found DFU: [0483:df11] ver=2200, devnum=${plugged.deviceAddress}, cfg=1, intf=0, path="1-${plugged.id}", alt=${alternate}, name="${name}", serial="F6"`,
        );
      }
    } finally {
      await bus.host.unplug(plugged.id);
    }
  });
});
