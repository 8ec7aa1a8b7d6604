// The seam between the protocol and USB. Everything the DFU/DfuSe engine needs from hardware is
// here; the node-usb adapter (node/nodeUsb.ts), the simulator (core/simulator) and the virtual-USB
// harness all implement it. Recipient (class, interface) and interface number are bound by the
// adapter, as dfu-core's DfuIo does.

// Time is core/clock.ts; re-exported here because the seam's users take one.
export type { Clock } from '../clock.js';

/** A control-transfer outcome the adapters normalise to. */
export type TransferFailure =
  | 'stall' // the device STALLed the request (USB protocol error)
  | 'timeout' // no answer within the transfer timeout
  | 'disconnected' // the device is gone (LIBUSB_ERROR_NO_DEVICE / NotFoundError)
  | 'io'; // anything else

/** Thrown by transports. The engine maps it to a DfuError with the operation it was doing. */
export class TransferError extends Error {
  readonly failure: TransferFailure;

  constructor(failure: TransferFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransferError';
    this.failure = failure;
  }
}

/** Class requests to the DFU interface of one opened device. */
export interface DfuTransport {
  /** bmRequestType 0xA1: class, interface, device-to-host. Resolves with at most `length` bytes. */
  controlIn(request: number, value: number, length: number): Promise<Uint8Array>;
  /** bmRequestType 0x21: class, interface, host-to-device. Resolves with the bytes sent. */
  controlOut(request: number, value: number, data?: Uint8Array): Promise<number>;
  /** SET_INTERFACE on the DFU interface: selects a region (Internal Flash, Option Bytes, ...). */
  selectAlternate(alternate: number): Promise<void>;
  /** USB bus reset, where the platform allows it (used after option-byte writes). */
  reset?(): Promise<void>;
  close(): Promise<void>;
}

/** What the bus knows about an attached device before it is opened. */
export interface UsbDeviceSummary {
  /** Stable for the time the device stays attached: "usb:3-1.4" or "sim:1". */
  readonly id: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
  /** Physical location ("3-1.4"), used to tell apart devices with equal serial numbers. */
  readonly path: string;
  readonly serialNumber?: string;
  readonly product?: string;
  readonly isSimulated: boolean;
}

/** Raw descriptor data read from an opened device; core/usb/descriptors.ts parses it. */
export interface RawDeviceDescriptors {
  /** The 18-byte device descriptor. */
  readonly device: Uint8Array;
  /** The full configuration descriptor (wTotalLength bytes) of the active configuration. */
  readonly configuration: Uint8Array;
  /** String descriptors already decoded by index (manufacturer, product, serial, alt names...). */
  readonly strings: ReadonlyMap<number, string>;
  /**
   * The same string descriptors as received (bLength, type 3, payload), where the adapter has
   * them: a few ROMs do not send UTF-16LE (the GD32VF103 serial, core/devices/dfuseQuirks.ts).
   */
  readonly rawStrings?: ReadonlyMap<number, Uint8Array>;
  /** A standalone DFU functional descriptor, when it is not inside the configuration. */
  readonly functional?: Uint8Array;
}

export interface OpenedDevice {
  readonly summary: UsbDeviceSummary;
  readonly descriptors: RawDeviceDescriptors;
  /** The DFU interface number the transport talks to. */
  readonly interfaceNumber: number;
  readonly transport: DfuTransport;
}

export type BusEvent = { type: 'attach'; device: UsbDeviceSummary } | { type: 'detach'; id: string };

export interface UsbBus {
  list(): Promise<UsbDeviceSummary[]>;
  open(id: string): Promise<OpenedDevice>;
  /** Hotplug. Returns an unsubscribe function. */
  watch(listener: (event: BusEvent) => void): () => void;
}
