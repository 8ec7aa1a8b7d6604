// UsbBus and DfuTransport over the `usb` package (major version 2: libusb inside, prebuilt N-API
// binaries). Used by the Electron main process and the CLI; it must not import `electron`.
// Everything with decisions in it (descriptor parsing, the DFU protocol) lives in core/; this file
// only moves bytes and turns libusb's errors into the project's error model.
import { usb as libusb } from 'usb';
import type { Device, Interface, LibUSBException } from 'usb';
import { DfuError } from '../core/errors.js';
import { decodeStringDescriptor } from '../core/usb/descriptors.js';
import { descriptorQuirksFor, serialNumberOf } from '../core/devices/dfuseQuirks.js';
import { dfuBootloaderIds } from '../core/devices/usbAccess.js';
import {
  TransferError,
  type BusEvent,
  type DfuTransport,
  type OpenedDevice,
  type RawDeviceDescriptors,
  type TransferFailure,
  type UsbBus,
  type UsbDeviceSummary,
} from '../core/usb/transport.js';

/** The part of the `usb` package this adapter uses; injectable for tests. */
export interface UsbLibrary {
  getDeviceList(): Device[];
  on(event: 'attach' | 'detach', listener: (device: Device) => void): void;
  off(event: 'attach' | 'detach', listener: (device: Device) => void): void;
}

export interface NodeUsbBusOptions {
  usb?: UsbLibrary;
  /** Timeout of ordinary control transfers. dfu-util uses 5 s (dfu_util.c). */
  timeoutMs?: number;
  /**
   * Timeout of GETSTATUS. ST bootloaders hold the GETSTATUS reply until a flash operation ends
   * (reference §1.3), and an F4 mass erase takes up to ~32 s (dfu-util dfuse.c), so this is long.
   */
  statusTimeoutMs?: number;
  /** Reported in access-denied errors so the UI can explain the platform's fix. */
  platform?: string;
}

// USB DFU 1.1 §4.2.1: application-specific class, DFU subclass.
const DFU_INTERFACE_CLASS = 0xfe;
const DFU_INTERFACE_SUBCLASS = 0x01;
const DFU_GETSTATUS = 3;
// bmRequestType for DFU class requests to an interface (DFU 1.1 §3).
const REQUEST_CLASS_INTERFACE_OUT = 0x21;
const REQUEST_CLASS_INTERFACE_IN = 0xa1;
// USB 2.0 §9.4.3 GET_DESCRIPTOR, device recipient.
const REQUEST_STANDARD_DEVICE_IN = 0x80;
const GET_DESCRIPTOR = 6;
const DESCRIPTOR_DEVICE = 1;
const DESCRIPTOR_CONFIGURATION = 2;
const DESCRIPTOR_STRING = 3;
const DESCRIPTOR_DFU_FUNCTIONAL = 0x21;
const LANGID_EN_US = 0x0409;
const DESCRIPTOR_TIMEOUT_MS = 1000;

/**
 * Devices we list even when their configuration cannot be read (Windows without a driver, for
 * instance): the ST ROM bootloader and its GD32 and AT32 clones, the same list the udev rules and
 * the driver help are made from (core/devices/usbAccess.ts).
 */
const knownDfuSeIds = dfuBootloaderIds;

// libusb error codes (libusb.h) and transfer statuses (enum libusb_transfer_status). The `usb`
// package reports the first for synchronous calls and submit failures, the second for transfers.
const LIBUSB_ERROR_ACCESS = -3;
const LIBUSB_ERROR_NO_DEVICE = -4;
const LIBUSB_ERROR_NOT_FOUND = -5;
const LIBUSB_ERROR_BUSY = -6;
const LIBUSB_ERROR_TIMEOUT = -7;
const LIBUSB_ERROR_PIPE = -9;
const LIBUSB_ERROR_NOT_SUPPORTED = -12;
const LIBUSB_TRANSFER_TIMED_OUT = 2;
const LIBUSB_TRANSFER_STALL = 4;
const LIBUSB_TRANSFER_NO_DEVICE = 5;

function errnoOf(error: unknown): number | undefined {
  const errno = (error as Partial<LibUSBException> | undefined)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}

/** Maps a libusb failure of a transfer to the seam's TransferError. */
export function toTransferError(error: unknown, operation: string): TransferError {
  if (error instanceof TransferError) return error;
  const errno = errnoOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  let failure: TransferFailure = 'io';
  if (errno === LIBUSB_TRANSFER_STALL || errno === LIBUSB_ERROR_PIPE) failure = 'stall';
  else if (errno === LIBUSB_TRANSFER_NO_DEVICE || errno === LIBUSB_ERROR_NO_DEVICE) failure = 'disconnected';
  else if (errno === LIBUSB_TRANSFER_TIMED_OUT || errno === LIBUSB_ERROR_TIMEOUT) failure = 'timeout';
  return new TransferError(failure, `${operation}: ${detail}`, { cause: error });
}

/** Maps a failure to open or claim a device to a DfuError the UI and CLI can explain. */
export function toOpenError(error: unknown, context: { id: string; platform: string; operation: string }): DfuError {
  if (error instanceof DfuError) return error;
  const errno = errnoOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  switch (errno) {
    case LIBUSB_ERROR_ACCESS:
      // Linux: no udev rule granting access; macOS: another driver; Windows: see below.
      return new DfuError({ kind: 'access-denied', platform: context.platform, detail }, { cause: error });
    case LIBUSB_ERROR_NOT_SUPPORTED:
      // Windows: libusb cannot open a device that has no WinUSB driver installed (libusb FAQ);
      // the fix is the same as for a permission problem: install WinUSB (Zadig).
      if (context.platform === 'win32') return new DfuError({ kind: 'access-denied', platform: context.platform, detail }, { cause: error });
      break;
    case LIBUSB_ERROR_BUSY:
      return new DfuError({ kind: 'busy', reason: `another program has claimed the DFU interface of ${context.id}` }, { cause: error });
    case LIBUSB_ERROR_NO_DEVICE:
    case LIBUSB_ERROR_NOT_FOUND:
      return new DfuError({ kind: 'device-gone', during: context.operation }, { cause: error });
  }
  return new DfuError({ kind: 'transport', during: context.operation, detail }, { cause: error });
}

/** "1-4.2": bus number and port chain, as Linux names it in sysfs. Stable while attached. */
function pathOf(device: Device): string {
  const ports = device.portNumbers;
  return ports && ports.length ? `${device.busNumber}-${ports.join('.')}` : `${device.busNumber}:${device.deviceAddress}`;
}

function idOf(device: Device): string {
  return `usb:${pathOf(device)}`;
}

interface DfuAlternate {
  interfaceNumber: number;
  alternateSetting: number;
  nameIndex: number;
}

function dfuAlternates(device: Device): DfuAlternate[] {
  let configuration;
  try {
    configuration = device.configDescriptor;
  } catch {
    return [];
  }
  const out: DfuAlternate[] = [];
  for (const alternates of configuration?.interfaces ?? []) {
    for (const alt of alternates) {
      if (alt.bInterfaceClass === DFU_INTERFACE_CLASS && alt.bInterfaceSubClass === DFU_INTERFACE_SUBCLASS) {
        out.push({ interfaceNumber: alt.bInterfaceNumber, alternateSetting: alt.bAlternateSetting, nameIndex: alt.iInterface });
      }
    }
  }
  return out;
}

function isDfuSe(device: Device): boolean {
  const { idVendor, idProduct } = device.deviceDescriptor;
  return dfuAlternates(device).length > 0 || knownDfuSeIds.some((k) => k.vendorId === idVendor && k.productId === idProduct);
}

/** Calls a node-style callback API and resolves with its result. */
function call<T>(start: (done: (error: LibUSBException | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      start((error, value) => (error ? reject(error) : resolve(value as T)));
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

function controlIn(device: Device, requestType: number, request: number, value: number, index: number, length: number, timeoutMs: number): Promise<Uint8Array> {
  device.timeout = timeoutMs;
  return call<Buffer | number | undefined>((done) => device.controlTransfer(requestType, request, value, index, length, done)).then(
    (data) => (data instanceof Uint8Array ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(0)),
  );
}

function controlOut(device: Device, requestType: number, request: number, value: number, index: number, data: Uint8Array, timeoutMs: number): Promise<number> {
  device.timeout = timeoutMs;
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return call<Buffer | number | undefined>((done) => device.controlTransfer(requestType, request, value, index, buffer, done)).then((sent) =>
    typeof sent === 'number' ? sent : data.length,
  );
}

/**
 * Reads the descriptors core/usb/descriptors.ts parses. The bytes come from the device itself
 * (GET_DESCRIPTOR), so what we parse is what it sent, not libusb's interpretation; when that fails
 * we rebuild them from libusb's cached copy.
 */
async function readDescriptors(device: Device, dfu: readonly DfuAlternate[]): Promise<RawDeviceDescriptors> {
  const get = (type: number, index: number, langId: number, length: number) =>
    controlIn(device, REQUEST_STANDARD_DEVICE_IN, GET_DESCRIPTOR, (type << 8) | index, langId, length, DESCRIPTOR_TIMEOUT_MS);

  let deviceBytes: Uint8Array;
  let configuration: Uint8Array;
  try {
    deviceBytes = await get(DESCRIPTOR_DEVICE, 0, 0, 18);
    const head = await get(DESCRIPTOR_CONFIGURATION, 0, 0, 9);
    const total = head.length >= 4 ? head[2]! | (head[3]! << 8) : 0;
    configuration = total > head.length ? await get(DESCRIPTOR_CONFIGURATION, 0, 0, total) : head;
    if (deviceBytes.length < 18 || configuration.length < 9) throw new Error('short descriptor');
  } catch (error) {
    if (toTransferError(error, 'read descriptors').failure === 'disconnected') throw error;
    deviceBytes = rebuildDeviceDescriptor(device);
    configuration = rebuildConfiguration(device);
  }

  let langId = LANGID_EN_US;
  try {
    const languages = await get(DESCRIPTOR_STRING, 0, 0, 255);
    if (languages.length >= 4) langId = languages[2]! | (languages[3]! << 8);
  } catch {
    // Some devices stall string 0; US English is what every ST bootloader reports anyway.
  }
  const indexes = new Set<number>([deviceBytes[14] ?? 0, deviceBytes[15] ?? 0, deviceBytes[16] ?? 0, ...dfu.map((a) => a.nameIndex)]);
  indexes.delete(0);
  const strings = new Map<number, string>();
  const rawStrings = new Map<number, Uint8Array>();
  for (const index of [...indexes].sort((a, b) => a - b)) {
    try {
      // Ask for 255 bytes and decode what arrives: some bootloaders (F427) send a wrong bLength
      // (reference §2.8 item 5), so decodeStringDescriptor trusts the received length. The raw
      // bytes are kept for ROMs that do not send UTF-16LE (core/devices/dfuseQuirks.ts).
      const raw = await get(DESCRIPTOR_STRING, index, langId, 255);
      rawStrings.set(index, raw.slice());
      strings.set(index, decodeStringDescriptor(raw));
    } catch (error) {
      if (toTransferError(error, 'read strings').failure === 'disconnected') throw error;
    }
  }

  let functional: Uint8Array | undefined;
  if (!containsFunctional(configuration)) {
    try {
      // dfu-util's last resort: a standalone GET_DESCRIPTOR for the functional descriptor.
      const bytes = await get(DESCRIPTOR_DFU_FUNCTIONAL, 0, 0, 9);
      if (bytes.length >= 7 && bytes[1] === DESCRIPTOR_DFU_FUNCTIONAL) functional = bytes;
    } catch {
      // Absent: core falls back to defaults and says so in DeviceInfo.warnings.
    }
  }
  return { device: deviceBytes, configuration, strings, rawStrings, ...(functional ? { functional } : {}) };
}

function containsFunctional(configuration: Uint8Array): boolean {
  for (let offset = 0; offset + 2 <= configuration.length; ) {
    const length = configuration[offset]!;
    if (length < 2) return false;
    if (configuration[offset + 1] === DESCRIPTOR_DFU_FUNCTIONAL) return true;
    offset += length;
  }
  return false;
}

function rebuildDeviceDescriptor(device: Device): Uint8Array {
  const d = device.deviceDescriptor;
  const out = new Uint8Array(18);
  const view = new DataView(out.buffer);
  out[0] = 18;
  out[1] = DESCRIPTOR_DEVICE;
  view.setUint16(2, d.bcdUSB, true);
  out[4] = d.bDeviceClass;
  out[5] = d.bDeviceSubClass;
  out[6] = d.bDeviceProtocol;
  out[7] = d.bMaxPacketSize0;
  view.setUint16(8, d.idVendor, true);
  view.setUint16(10, d.idProduct, true);
  view.setUint16(12, d.bcdDevice, true);
  out[14] = d.iManufacturer;
  out[15] = d.iProduct;
  out[16] = d.iSerialNumber;
  out[17] = d.bNumConfigurations;
  return out;
}

function rebuildConfiguration(device: Device): Uint8Array {
  const c = device.configDescriptor;
  if (!c) return new Uint8Array(0);
  const parts: number[] = [];
  const push = (bytes: ArrayLike<number>) => {
    for (let i = 0; i < bytes.length; i++) parts.push(bytes[i]!);
  };
  push([9, DESCRIPTOR_CONFIGURATION, 0, 0, c.bNumInterfaces, c.bConfigurationValue, c.iConfiguration, c.bmAttributes, c.bMaxPower]);
  push(c.extra);
  for (const alternates of c.interfaces) {
    for (const a of alternates) {
      push([9, 4, a.bInterfaceNumber, a.bAlternateSetting, a.bNumEndpoints, a.bInterfaceClass, a.bInterfaceSubClass, a.bInterfaceProtocol, a.iInterface]);
      push(a.extra);
      for (const e of a.endpoints) {
        push([7, 5, e.bEndpointAddress, e.bmAttributes, e.wMaxPacketSize & 0xff, e.wMaxPacketSize >> 8, e.bInterval]);
        push(e.extra);
      }
    }
  }
  parts[2] = parts.length & 0xff;
  parts[3] = parts.length >> 8;
  return Uint8Array.from(parts);
}

function summaryOf(device: Device, strings?: Pick<RawDeviceDescriptors, 'strings' | 'rawStrings'>): UsbDeviceSummary {
  const d = device.deviceDescriptor;
  const product = d.iProduct ? strings?.strings.get(d.iProduct) : undefined;
  const serialNumber = d.iSerialNumber
    ? serialNumberOf(descriptorQuirksFor({ vendorId: d.idVendor, productId: d.idProduct, bcdDevice: d.bcdDevice }), strings?.rawStrings?.get(d.iSerialNumber), strings?.strings.get(d.iSerialNumber))
    : undefined;
  return {
    id: idOf(device),
    vendorId: d.idVendor,
    productId: d.idProduct,
    bcdDevice: d.bcdDevice,
    path: pathOf(device),
    ...(serialNumber !== undefined ? { serialNumber } : {}),
    ...(product !== undefined ? { product } : {}),
    isSimulated: false,
  };
}

class NodeUsbTransport implements DfuTransport {
  private closed = false;

  constructor(
    private readonly device: Device,
    private readonly iface: Interface,
    private readonly interfaceNumber: number,
    private readonly options: Required<Pick<NodeUsbBusOptions, 'timeoutMs' | 'statusTimeoutMs'>>,
    private readonly onClose: () => void,
  ) {}

  async controlIn(request: number, value: number, length: number): Promise<Uint8Array> {
    this.assertOpen();
    const timeout = request === DFU_GETSTATUS ? this.options.statusTimeoutMs : this.options.timeoutMs;
    try {
      return await controlIn(this.device, REQUEST_CLASS_INTERFACE_IN, request, value, this.interfaceNumber, length, timeout);
    } catch (error) {
      throw toTransferError(error, `class request ${request} in`);
    }
  }

  async controlOut(request: number, value: number, data?: Uint8Array): Promise<number> {
    this.assertOpen();
    try {
      return await controlOut(this.device, REQUEST_CLASS_INTERFACE_OUT, request, value, this.interfaceNumber, data ?? new Uint8Array(0), this.options.timeoutMs);
    } catch (error) {
      throw toTransferError(error, `class request ${request} out`);
    }
  }

  async selectAlternate(alternate: number): Promise<void> {
    this.assertOpen();
    try {
      await call<void>((done) => this.iface.setAltSetting(alternate, done));
    } catch (error) {
      throw toTransferError(error, `select alternate ${alternate}`);
    }
  }

  async reset(): Promise<void> {
    this.assertOpen();
    try {
      await call<void>((done) => this.device.reset(done));
    } catch (error) {
      // After a reset the device often re-enumerates; libusb then reports it as gone.
      const mapped = toTransferError(error, 'reset');
      if (mapped.failure !== 'disconnected') throw mapped;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await call<void>((done) => this.iface.release(done));
    } catch {
      // Gone or already released: closing must not fail.
    }
    try {
      this.device.close();
    } catch {
      // Same.
    }
    this.onClose();
  }

  private assertOpen(): void {
    if (this.closed) throw new TransferError('io', 'transport is closed');
  }
}

export class NodeUsbBus implements UsbBus {
  private readonly usb: UsbLibrary;
  private readonly options: Required<Pick<NodeUsbBusOptions, 'timeoutMs' | 'statusTimeoutMs'>>;
  private readonly platform: string;
  /** Strings read at listing time, per device id; a device is opened at most once for them. */
  private readonly stringCache = new Map<string, Pick<RawDeviceDescriptors, 'strings' | 'rawStrings'>>();
  private readonly openIds = new Set<string>();
  /**
   * node-usb hands out one Device object per attached device, so a listing that opens a device to
   * read its strings and an open() of the same device share one libusb handle: the listing's
   * close() would close the session's handle. Per id: the listing in progress, and the ids being
   * opened (a listing skips those; open() waits for a listing to finish first).
   */
  private readonly listings = new Map<string, Promise<unknown>>();
  private readonly openingIds = new Set<string>();

  constructor(options: NodeUsbBusOptions = {}) {
    this.usb = options.usb ?? libusb;
    this.options = { timeoutMs: options.timeoutMs ?? 5000, statusTimeoutMs: options.statusTimeoutMs ?? 45_000 };
    this.platform = options.platform ?? process.platform;
  }

  async list(): Promise<UsbDeviceSummary[]> {
    const devices = this.usb.getDeviceList().filter(isDfuSe);
    const summaries: UsbDeviceSummary[] = [];
    for (const device of devices) summaries.push(summaryOf(device, await this.listingStrings(device)));
    return summaries;
  }

  async open(id: string): Promise<OpenedDevice> {
    this.openingIds.add(id);
    try {
      await this.listings.get(id)?.catch(() => undefined);
      return await this.openNow(id);
    } finally {
      this.openingIds.delete(id);
    }
  }

  private async openNow(id: string): Promise<OpenedDevice> {
    const device = this.usb.getDeviceList().find((d) => idOf(d) === id && isDfuSe(d));
    if (!device) throw new DfuError({ kind: 'no-device', selector: id });
    const context = { id, platform: this.platform, operation: 'open' };
    try {
      device.open();
    } catch (error) {
      throw toOpenError(error, context);
    }
    try {
      const dfu = dfuAlternates(device);
      const interfaceNumber = dfu[0]?.interfaceNumber ?? 0;
      const descriptors = await readDescriptors(device, dfu);
      this.stringCache.set(id, descriptors);
      const iface = device.interface(interfaceNumber);
      try {
        iface.claim();
      } catch (error) {
        throw toOpenError(error, { ...context, operation: 'claim interface' });
      }
      this.openIds.add(id);
      const transport = new NodeUsbTransport(device, iface, interfaceNumber, this.options, () => this.openIds.delete(id));
      return { summary: summaryOf(device, descriptors), descriptors, interfaceNumber, transport };
    } catch (error) {
      try {
        device.close();
      } catch {
        // Already gone.
      }
      if (error instanceof DfuError) throw error;
      const mapped = toTransferError(error, 'read descriptors');
      if (mapped.failure === 'disconnected') throw new DfuError({ kind: 'device-gone', during: 'open' }, { cause: error });
      throw toOpenError(error, context);
    }
  }

  watch(listener: (event: BusEvent) => void): () => void {
    const known = new Set<string>();
    const onAttach = (device: Device) => {
      if (!isDfuSe(device)) return;
      const summary = summaryOf(device);
      known.add(summary.id);
      listener({ type: 'attach', device: summary });
    };
    const onDetach = (device: Device) => {
      const id = idOf(device);
      this.stringCache.delete(id);
      // The detached device's configuration can no longer be read, so match on what we saw.
      if (known.delete(id) || this.openIds.has(id) || isKnownId(device)) listener({ type: 'detach', id });
    };
    try {
      for (const device of this.usb.getDeviceList()) if (isDfuSe(device)) known.add(idOf(device));
    } catch {
      // Listing failed; attach events will still fill `known`.
    }
    this.usb.on('attach', onAttach);
    this.usb.on('detach', onDetach);
    return () => {
      this.usb.off('attach', onAttach);
      this.usb.off('detach', onDetach);
    };
  }

  private async listingStrings(device: Device): Promise<Pick<RawDeviceDescriptors, 'strings' | 'rawStrings'> | undefined> {
    const id = idOf(device);
    const cached = this.stringCache.get(id);
    if (cached) return cached;
    if (this.openIds.has(id) || this.openingIds.has(id)) return undefined;
    const running = this.listings.get(id);
    if (running) return (await running.catch(() => undefined)) as Pick<RawDeviceDescriptors, 'strings' | 'rawStrings'> | undefined;
    const listing = this.readListingStrings(device, id);
    this.listings.set(id, listing);
    try {
      return await listing;
    } finally {
      if (this.listings.get(id) === listing) this.listings.delete(id);
    }
  }

  private async readListingStrings(device: Device, id: string): Promise<Pick<RawDeviceDescriptors, 'strings' | 'rawStrings'> | undefined> {
    try {
      device.open(false);
      try {
        const { strings, rawStrings } = await readDescriptors(device, dfuAlternates(device));
        this.stringCache.set(id, { strings, rawStrings });
        return { strings, rawStrings };
      } finally {
        device.close();
      }
    } catch {
      // No permission (yet: udev may still be applying its rule right after an attach) or busy:
      // list it without strings and try again next time; open() will explain a lasting failure.
      return undefined;
    }
  }
}

function isKnownId(device: Device): boolean {
  const { idVendor, idProduct } = device.deviceDescriptor;
  return knownDfuSeIds.some((k) => k.vendorId === idVendor && k.productId === idProduct);
}
