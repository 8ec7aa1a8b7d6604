// Error mapping and listing rules of the node-usb adapter, with a stand-in for the `usb` package.
// The adapter's real work (descriptors, transfers, alt settings, hotplug through libusb) is tested
// against the virtual USB bus in usb-harness/nodeUsb.integration.test.ts.
import type { Device } from 'usb';
import { DfuError } from '../core/errors.js';
import { TransferError } from '../core/usb/transport.js';
import { NodeUsbBus, toOpenError, toTransferError, type UsbLibrary } from './nodeUsb.js';

function libusbError(errno: number, message = `libusb error ${errno}`): Error & { errno: number } {
  return Object.assign(new Error(message), { errno });
}

interface FakeOptions {
  vendorId?: number;
  productId?: number;
  interfaceClass?: number;
  ports?: number[];
  openError?: Error;
  claimError?: Error;
  /** Counts libusb handles like node-usb's one shared Device object: open() and close() of that object. */
  handles?: { open: number; opens: number };
}

function fakeDevice(options: FakeOptions = {}): Device {
  const alt = {
    bInterfaceNumber: 0,
    bAlternateSetting: 0,
    bInterfaceClass: options.interfaceClass ?? 0xfe,
    bInterfaceSubClass: 1,
    bInterfaceProtocol: 2,
    iInterface: 4,
    bNumEndpoints: 0,
    extra: Buffer.alloc(0),
    endpoints: [],
  };
  const device = {
    busNumber: 3,
    deviceAddress: 7,
    portNumbers: options.ports ?? [1, 4],
    deviceDescriptor: {
      bcdUSB: 0x0200,
      bDeviceClass: 0,
      bDeviceSubClass: 0,
      bDeviceProtocol: 0,
      bMaxPacketSize0: 64,
      idVendor: options.vendorId ?? 0x0483,
      idProduct: options.productId ?? 0xdf11,
      bcdDevice: 0x2200,
      iManufacturer: 1,
      iProduct: 2,
      iSerialNumber: 3,
      bNumConfigurations: 1,
    },
    configDescriptor: { bNumInterfaces: 1, bConfigurationValue: 1, iConfiguration: 0, bmAttributes: 0x80, bMaxPower: 50, extra: Buffer.alloc(0), interfaces: [[alt]] },
    timeout: 1000,
    open() {
      if (options.openError) throw options.openError;
      if (options.handles) {
        options.handles.opens++;
        options.handles.open = 1; // one Device object, one handle
      }
    },
    close() {
      if (options.handles) options.handles.open = 0;
    },
    controlTransfer(_type: number, _request: number, _value: number, _index: number, _length: number, callback: (error?: Error) => void) {
      // A closed handle fails like libusb does; an open one STALLs (descriptors fall back to libusb's copy).
      if (options.handles && options.handles.open === 0) setImmediate(() => callback(libusbError(-1, 'LIBUSB_ERROR_IO: device not open')));
      else setImmediate(() => callback(libusbError(4, 'LIBUSB_TRANSFER_STALL')));
    },
    interface() {
      return {
        claim() {
          if (options.claimError) throw options.claimError;
        },
        release(callback: () => void) {
          callback();
        },
      };
    },
  };
  return device as unknown as Device;
}

function library(devices: Device[]): UsbLibrary & { emit(event: 'attach' | 'detach', device: Device): void } {
  const listeners = { attach: new Set<(device: Device) => void>(), detach: new Set<(device: Device) => void>() };
  return {
    getDeviceList: () => devices,
    on: (event, listener) => listeners[event].add(listener),
    off: (event, listener) => listeners[event].delete(listener),
    emit: (event, device) => listeners[event].forEach((listener) => listener(device)),
  };
}

describe('toTransferError', () => {
  it.each([
    [4, 'stall'], // LIBUSB_TRANSFER_STALL
    [-9, 'stall'], // LIBUSB_ERROR_PIPE
    [5, 'disconnected'], // LIBUSB_TRANSFER_NO_DEVICE
    [-4, 'disconnected'], // LIBUSB_ERROR_NO_DEVICE
    [2, 'timeout'], // LIBUSB_TRANSFER_TIMED_OUT
    [-7, 'timeout'], // LIBUSB_ERROR_TIMEOUT
    [1, 'io'], // LIBUSB_TRANSFER_ERROR
    [-1, 'io'], // LIBUSB_ERROR_IO
  ] as const)('maps errno %d to %s', (errno, failure) => {
    const mapped = toTransferError(libusbError(errno), 'GETSTATUS');
    expect(mapped).toBeInstanceOf(TransferError);
    expect(mapped.failure).toBe(failure);
    expect(mapped.message).toContain('GETSTATUS');
  });
});

describe('toOpenError', () => {
  const context = { id: 'usb:3-1.4', operation: 'open' };

  it('turns LIBUSB_ERROR_ACCESS into access-denied with the platform, for the udev/WinUSB hint', () => {
    const error = toOpenError(libusbError(-3, 'LIBUSB_ERROR_ACCESS'), { ...context, platform: 'linux' });
    expect(error.info).toEqual({ kind: 'access-denied', platform: 'linux', detail: 'LIBUSB_ERROR_ACCESS' });
  });

  it('treats a missing WinUSB driver on Windows as access-denied, elsewhere as a transport error', () => {
    expect(toOpenError(libusbError(-12), { ...context, platform: 'win32' }).info.kind).toBe('access-denied');
    expect(toOpenError(libusbError(-12), { ...context, platform: 'darwin' }).info.kind).toBe('transport');
  });

  it('reports a claimed interface as busy and a vanished device as gone', () => {
    expect(toOpenError(libusbError(-6), { ...context, platform: 'linux' }).info).toMatchObject({ kind: 'busy' });
    expect(toOpenError(libusbError(-4), { ...context, platform: 'linux' }).info).toEqual({ kind: 'device-gone', during: 'open' });
  });
});

describe('NodeUsbBus', () => {
  it('lists devices with a DFU interface and known DfuSe ids, and nothing else', async () => {
    const devices = [
      fakeDevice({ ports: [1] }),
      fakeDevice({ ports: [2], vendorId: 0x1234, productId: 0x5678 }), // DFU class, unknown id
      fakeDevice({ ports: [3], interfaceClass: 0x03 }), // ST id without a DFU interface (driverless)
      fakeDevice({ ports: [4], vendorId: 0x046d, productId: 0xc077, interfaceClass: 0x03 }), // a mouse
    ];
    const bus = new NodeUsbBus({ usb: library(devices), platform: 'linux' });
    const listed = await bus.list();
    expect(listed.map((d) => d.id)).toEqual(['usb:3-1', 'usb:3-2', 'usb:3-3']);
    expect(listed[0]).toMatchObject({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, path: '3-1', isSimulated: false });
  });

  it('rejects open with access-denied when libusb has no permission', async () => {
    const bus = new NodeUsbBus({ usb: library([fakeDevice({ openError: libusbError(-3, 'LIBUSB_ERROR_ACCESS') })]), platform: 'linux' });
    const error = await bus.open('usb:3-1.4').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DfuError);
    expect((error as DfuError).info).toMatchObject({ kind: 'access-denied', platform: 'linux' });
  });

  it('rejects open with busy when another program holds the interface', async () => {
    const bus = new NodeUsbBus({ usb: library([fakeDevice({ claimError: libusbError(-6, 'LIBUSB_ERROR_BUSY') })]), platform: 'linux' });
    const error = await bus.open('usb:3-1.4').catch((e: unknown) => e);
    expect((error as DfuError).info).toMatchObject({ kind: 'busy' });
  });

  it('a listing and an open of the same device do not share a handle: the session keeps its own, and closing it leaves none', async () => {
    const handles = { open: 0, opens: 0 };
    const bus = new NodeUsbBus({ usb: library([fakeDevice({ handles })]), platform: 'linux' });
    // The hotplug listing starts reading strings, and the app opens the device at the same moment.
    const [listed, opened] = await Promise.all([bus.list(), bus.open('usb:3-1.4')]);
    expect(listed).toHaveLength(1);
    expect(handles.open).toBe(1);
    // The session's handle still works: the request reaches the device (a STALL), not a closed handle.
    const failure = await opened.transport.controlIn(3, 0, 6).catch((e: unknown) => e);
    expect(failure).toMatchObject({ failure: 'stall' });
    // A listing while the session is open does not open (and then close) the shared handle.
    const opensBefore = handles.opens;
    await bus.list();
    expect(handles.opens).toBe(opensBefore);
    expect(handles.open).toBe(1);
    await opened.transport.close();
    expect(handles.open).toBe(0);
  });

  it('rejects an unknown id with no-device', async () => {
    const bus = new NodeUsbBus({ usb: library([fakeDevice()]), platform: 'linux' });
    const error = await bus.open('usb:9-9').catch((e: unknown) => e);
    expect((error as DfuError).info).toEqual({ kind: 'no-device', selector: 'usb:9-9' });
  });

  it('reports attach and detach of DfuSe devices only, until unsubscribed', () => {
    const usb = library([]);
    const bus = new NodeUsbBus({ usb, platform: 'linux' });
    const events: unknown[] = [];
    const unwatch = bus.watch((event) => events.push(event));
    const board = fakeDevice({ ports: [2] });
    usb.emit('attach', board);
    usb.emit('attach', fakeDevice({ ports: [5], vendorId: 0x046d, productId: 0xc077, interfaceClass: 0x03 }));
    usb.emit('detach', board);
    unwatch();
    usb.emit('attach', board);
    expect(events).toEqual([
      { type: 'attach', device: expect.objectContaining({ id: 'usb:3-2', path: '3-2' }) },
      { type: 'detach', id: 'usb:3-2' },
    ]);
  });
});
