// The Node side of the virtual USB bus. It starts the C host (usb-harness/host/vusb-host.c), puts
// devices on the bus, and answers every control transfer a libusb client sends to them: standard
// requests from the device's raw descriptors, DFU class requests from the device itself (normally
// the project's SimulatedDevice). Clients (a Node process using the `usb` package, dfu-util) must be
// started with clientEnv() so that umockdev's preload library redirects /sys and /dev for them.
import { spawn, type ChildProcess } from 'node:child_process';
import { concatBytes } from '../core/bytes.js';
import { TransferError, type DfuTransport, type RawDeviceDescriptors } from '../core/usb/transport.js';
import { harnessAvailability, hostBinary, preloadLibrary } from './hostBuild.js';

/** What the bus needs from a device: its descriptors and the DFU requests. SimulatedDevice fits. */
export interface VirtualDevice {
  readonly descriptors: RawDeviceDescriptors;
  controlIn: DfuTransport['controlIn'];
  controlOut: DfuTransport['controlOut'];
  selectAlternate: DfuTransport['selectAlternate'];
  reset?: DfuTransport['reset'];
  /** Called when the harness unplugs the device, so its own state agrees. */
  unplug?(): void;
  readonly isConnected?: boolean;
  /**
   * The device leaving or rejoining the bus on its own (leave, reset after option bytes, a
   * scenario's unplug and replug). The harness follows: "remove" on false, a fresh enumeration
   * with a new address on true, as the Linux USB core does.
   */
  onConnectionChange?(listener: (isConnected: boolean) => void): () => void;
}

export interface PluggedDevice {
  readonly id: number;
  readonly busNumber: number;
  readonly deviceAddress: number;
  /** The /dev node clients open, e.g. /dev/bus/usb/001/002 (inside the testbed). */
  readonly devnode: string;
  readonly syspath: string;
  readonly device: VirtualDevice;
}

/** Something a client did that the device itself does not see as a request. */
export interface HostEvent {
  readonly device: number;
  readonly kind: 'open' | 'close' | 'claim' | 'release' | 'reset' | 'discard';
  readonly arg: number;
}

export interface DeviceStats {
  /** Control transfers answered (standard and class). */
  controlTransfers: number;
  classRequests: number;
  /** Requests the client gave up on (libusb timeout, DISCARDURB). */
  cancelled: number;
}

// Frame types; see vusb-host.c.
const OUT_READY = 1;
const OUT_CONTROL = 2;
const OUT_EVENT = 3;
const OUT_ADDED = 4;
const OUT_REMOVED = 5;
const OUT_CANCEL = 6;
const OUT_LOG = 7;
const IN_REPLY = 1;
const IN_ADD = 2;
const IN_REMOVE = 3;
const IN_QUIT = 4;

// Linux errno values the C host hands to the client as URB status or ioctl error.
const EPIPE = 32; // STALL (usbfs: -EPIPE)
const EPROTO = 71;
const EINVAL = 22;

const eventKinds: Record<number, HostEvent['kind']> = { 1: 'open', 2: 'close', 3: 'claim', 4: 'release', 5: 'reset', 6: 'discard' };

// USB 2.0 §9.4 standard requests and descriptor types.
const GET_STATUS = 0;
const GET_DESCRIPTOR = 6;
const GET_CONFIGURATION = 8;
const SET_CONFIGURATION = 9;
const GET_INTERFACE = 10;
const SET_INTERFACE = 11;
const DESCRIPTOR_DEVICE = 1;
const DESCRIPTOR_CONFIGURATION = 2;
const DESCRIPTOR_STRING = 3;
const DESCRIPTOR_INTERFACE = 4;
const DESCRIPTOR_DFU_FUNCTIONAL = 0x21;
/** US English: the only language ST bootloaders report. */
const LANGID_EN_US = 0x0409;

interface Attachment {
  current?: PluggedDevice;
  speedMbps: number;
  unsubscribe?: () => void;
  waiters: ((plugged: PluggedDevice) => void)[];
}

interface Entry {
  plugged: PluggedDevice;
  removal?: Promise<void>;
  stats: DeviceStats;
  alternate: number;
  /** The default control pipe handles one request at a time, like a real device. */
  queue: Promise<void>;
  gone: boolean;
}

interface ControlRequest {
  seq: number;
  device: number;
  requestType: number;
  request: number;
  value: number;
  index: number;
  length: number;
  data: Uint8Array;
}

export class VirtualUsbHost {
  readonly rootDir: string;
  readonly events: HostEvent[] = [];
  readonly logs: string[] = [];
  private readonly child: ChildProcess;
  private readonly devices = new Map<number, Entry>();
  private readonly attachments = new Map<VirtualDevice, Attachment>();
  private readonly cancelled = new Set<number>();
  private readonly waiters = new Map<string, (payload: Uint8Array) => void>();
  private nextId = 1;
  private exited = false;
  private readonly exitPromise: Promise<void>;

  private constructor(child: ChildProcess, rootDir: string) {
    this.child = child;
    this.rootDir = rootDir;
    this.exitPromise = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => {
      this.exited = true;
    });
  }

  /** Starts the C host; rejects with the reason when the harness cannot run here. */
  static async start(options: { debug?: boolean } = {}): Promise<VirtualUsbHost> {
    const availability = harnessAvailability();
    if (!availability.ok) throw new Error(availability.reason);
    // The host itself runs with the preload: umockdev only delivers uevents (hotplug) to clients
    // when the testbed process is in the mock environment.
    const child = spawn(hostBinary, options.debug ? ['--debug'] : [], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, LD_PRELOAD: [preloadLibrary, process.env.LD_PRELOAD].filter(Boolean).join(':') },
    });
    const reader = new FrameReader();
    const started: { host?: VirtualUsbHost } = {};
    const ready = new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`virtual USB host exited early (code ${code})`)));
      child.stdout.on('data', (chunk: Buffer) => {
        for (const [type, payload] of reader.push(chunk)) {
          if (!started.host) {
            if (type === OUT_READY) resolve(new TextDecoder().decode(payload));
            continue;
          }
          started.host.onFrame(type, payload);
        }
      });
    });
    const rootDir = await ready;
    started.host = new VirtualUsbHost(child, rootDir);
    return started.host;
  }

  /** Environment for a client process: umockdev's preload plus this testbed. */
  clientEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    return {
      ...base,
      UMOCKDEV_DIR: this.rootDir,
      LD_PRELOAD: [preloadLibrary, base.LD_PRELOAD].filter(Boolean).join(':'),
    };
  }

  /**
   * Attaches a device to bus 1 with the next free address, like plugging it in. From then on the
   * harness follows the device's own connection changes (see VirtualDevice.onConnectionChange).
   */
  async plug(device: VirtualDevice, options: { speedMbps?: number } = {}): Promise<PluggedDevice> {
    let attachment = this.attachments.get(device);
    if (!attachment) {
      const created: Attachment = { speedMbps: options.speedMbps ?? 12, waiters: [] };
      attachment = created;
      this.attachments.set(device, created);
      created.unsubscribe = device.onConnectionChange?.((isConnected) => void this.follow(device, created, isConnected));
    }
    if (attachment.current && !this.devices.get(attachment.current.id)?.gone) return attachment.current;
    return this.attach(device, attachment);
  }

  /** Where the device is on the bus now (its address changes when it re-enumerates). */
  current(device: VirtualDevice): PluggedDevice | undefined {
    const current = this.attachments.get(device)?.current;
    return current && !this.devices.get(current.id)?.gone ? current : undefined;
  }

  /**
   * Resolves when the device is on the bus under a newer address than `after` (the PluggedDevice
   * it had before it left): at once if it has already come back, else when it does.
   */
  nextAttach(device: VirtualDevice, after: PluggedDevice, timeoutMs = 10_000): Promise<PluggedDevice> {
    const attachment = this.attachments.get(device);
    if (!attachment) return Promise.reject(new Error('device was never plugged'));
    const current = this.current(device);
    if (current && current.id > after.id) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('device did not re-enumerate')), timeoutMs);
      attachment.waiters.push((plugged) => {
        clearTimeout(timer);
        resolve(plugged);
      });
    });
  }

  private async follow(device: VirtualDevice, attachment: Attachment, isConnected: boolean): Promise<void> {
    if (this.exited) return;
    const current = attachment.current;
    if (!isConnected) {
      if (current) await this.detach(current.id);
    } else if (!current || this.devices.get(current.id)?.gone) {
      await this.attach(device, attachment);
    }
  }

  private async attach(device: VirtualDevice, attachment: Attachment): Promise<PluggedDevice> {
    const id = this.nextId++;
    const busNumber = 1;
    const deviceAddress = id + 1; // address 1 is the root hub on a real bus
    const descriptorFile = concatBytes([device.descriptors.device, device.descriptors.configuration]);
    const strings = device.descriptors.strings;
    const desc = device.descriptors.device;
    const attributes: string[] = [];
    const stringAttribute = (name: string, index: number | undefined) => {
      const text = index ? strings.get(index) : undefined;
      if (text !== undefined && !/[\n\0]/.test(text)) attributes.push(`${name}=${text}`);
    };
    stringAttribute('manufacturer', desc[14]);
    stringAttribute('product', desc[15]);
    stringAttribute('serial', desc[16]);
    const header = new Uint8Array(14);
    const view = new DataView(header.buffer);
    view.setUint32(0, id, true);
    header[4] = busNumber;
    header[5] = deviceAddress;
    view.setUint32(6, attachment.speedMbps, true);
    view.setUint32(10, descriptorFile.length, true);
    const text = new TextEncoder().encode(attributes.map((a) => `${a}\0`).join(''));
    const added = this.waitFor(`added:${id}`);
    this.send(IN_ADD, concatBytes([header, descriptorFile, text]));
    const payload = await added;
    const [syspath, devnode] = new TextDecoder().decode(payload.subarray(4)).split('\0') as [string, string];
    const plugged: PluggedDevice = { id, busNumber, deviceAddress, devnode, syspath, device };
    this.devices.set(id, { plugged, stats: { controlTransfers: 0, classRequests: 0, cancelled: 0 }, alternate: 0, queue: Promise.resolve(), gone: false });
    attachment.current = plugged;
    for (const waiter of attachment.waiters.splice(0)) waiter(plugged);
    return plugged;
  }

  /** Pulls the device out: pending transfers fail, clients get a "remove" uevent. */
  async unplug(id: number): Promise<void> {
    const entry = this.devices.get(id);
    if (!entry) return;
    const removal = this.detach(id);
    entry.plugged.device.unplug?.();
    await removal;
  }

  /** Takes the device off the bus (the device itself is not told). Idempotent. */
  private detach(id: number): Promise<void> {
    const entry = this.devices.get(id);
    if (!entry) return Promise.resolve();
    if (!entry.removal) {
      entry.gone = true;
      const removed = this.waitFor(`removed:${id}`);
      const message = new Uint8Array(4);
      new DataView(message.buffer).setUint32(0, id, true);
      this.send(IN_REMOVE, message);
      entry.removal = removed.then(() => undefined);
    }
    return entry.removal;
  }

  stats(id: number): DeviceStats {
    const entry = this.devices.get(id);
    if (!entry) throw new Error(`no virtual device ${id}`);
    return entry.stats;
  }

  async stop(): Promise<void> {
    for (const attachment of this.attachments.values()) attachment.unsubscribe?.();
    this.attachments.clear();
    if (!this.exited) {
      this.send(IN_QUIT, new Uint8Array(0));
      this.child.stdin!.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.exitPromise;
      clearTimeout(timer);
    }
  }

  private waitFor(key: string): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (this.exited) reject(new Error('virtual USB host is not running'));
      this.waiters.set(key, resolve);
    });
  }

  private send(type: number, payload: Uint8Array): void {
    if (this.exited) throw new Error('virtual USB host is not running');
    const head = new Uint8Array(5);
    new DataView(head.buffer).setUint32(0, payload.length + 1, true);
    head[4] = type;
    this.child.stdin!.write(concatBytes([head, payload]));
  }

  private onFrame(type: number, payload: Uint8Array): void {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    switch (type) {
      case OUT_CONTROL: {
        const request: ControlRequest = {
          seq: view.getUint32(0, true),
          device: view.getUint32(4, true),
          requestType: payload[8]!,
          request: payload[9]!,
          value: view.getUint16(10, true),
          index: view.getUint16(12, true),
          length: view.getUint16(14, true),
          data: payload.slice(16),
        };
        this.enqueue(request);
        break;
      }
      case OUT_EVENT:
        this.events.push({ device: view.getUint32(0, true), kind: eventKinds[payload[4]!] ?? 'open', arg: view.getUint32(5, true) });
        break;
      case OUT_ADDED:
        this.resolveWaiter(`added:${view.getUint32(0, true)}`, payload);
        break;
      case OUT_REMOVED:
        this.resolveWaiter(`removed:${view.getUint32(0, true)}`, payload);
        break;
      case OUT_CANCEL: {
        this.cancelled.add(view.getUint32(0, true));
        break;
      }
      case OUT_LOG:
        this.logs.push(new TextDecoder().decode(payload));
        break;
    }
  }

  private resolveWaiter(key: string, payload: Uint8Array): void {
    const waiter = this.waiters.get(key);
    this.waiters.delete(key);
    waiter?.(payload);
  }

  private enqueue(request: ControlRequest): void {
    const entry = this.devices.get(request.device);
    if (!entry) {
      this.reply(request.seq, -EPROTO);
      return;
    }
    entry.queue = entry.queue.then(() => this.serve(entry, request));
  }

  private async serve(entry: Entry, request: ControlRequest): Promise<void> {
    if (this.cancelled.delete(request.seq)) {
      entry.stats.cancelled++;
      return;
    }
    if (entry.gone) return; // the C host already failed everything pending on this device
    let outcome: { status: number; data?: Uint8Array } | 'no-answer';
    try {
      outcome = await this.answer(entry, request);
    } catch (error) {
      outcome = this.failure(entry, error);
    }
    if (this.cancelled.delete(request.seq)) {
      entry.stats.cancelled++;
      return;
    }
    if (outcome === 'no-answer' || entry.gone) return;
    entry.stats.controlTransfers++;
    this.reply(request.seq, outcome.status, outcome.data);
  }

  private failure(entry: Entry, error: unknown): { status: number } | 'no-answer' {
    if (error instanceof TransferError) {
      switch (error.failure) {
        case 'stall':
          return { status: -EPIPE };
        case 'timeout':
          // The device never answers; the client's own timeout cancels the transfer.
          return 'no-answer';
        case 'disconnected':
          // The device dropped off the bus mid-request: the C host fails the pending URB with
          // -ESHUTDOWN and sends the "remove" uevent, as Linux does on a real unplug.
          void this.detach(entry.plugged.id);
          return 'no-answer';
        case 'io':
          return { status: -EPROTO };
      }
    }
    this.logs.push(`device ${entry.plugged.id}: ${String(error)}`);
    return { status: -EPROTO };
  }

  private async answer(entry: Entry, r: ControlRequest): Promise<{ status: number; data?: Uint8Array }> {
    const device = entry.plugged.device;
    const type = r.requestType & 0x60;
    const recipient = r.requestType & 0x1f;
    const isIn = (r.requestType & 0x80) !== 0;
    if (type === 0x20 && recipient === 1) {
      // DFU class requests go to the DFU interface (wIndex = interface number, 0 on ST BLs).
      entry.stats.classRequests++;
      if (r.index !== 0) return { status: -EPIPE };
      if (isIn) return { status: 0, data: await device.controlIn(r.request, r.value, r.length) };
      await device.controlOut(r.request, r.value, r.data.length ? r.data : undefined);
      return { status: 0 };
    }
    if (type !== 0) return { status: -EPIPE };
    switch (r.request) {
      case GET_DESCRIPTOR: {
        const data = descriptorFor(device.descriptors, r.value >> 8, r.value & 0xff);
        return data ? { status: 0, data: data.subarray(0, r.length) } : { status: -EPIPE };
      }
      case SET_CONFIGURATION:
        return { status: 0 };
      case GET_CONFIGURATION:
        return { status: 0, data: Uint8Array.of(device.descriptors.configuration[5] ?? 1) };
      case SET_INTERFACE:
        // Linux checks the alternate against the configuration before asking the device
        // (usb_set_interface), so an unknown one fails with EINVAL and never reaches it.
        if (!hasAlternate(device.descriptors.configuration, r.index, r.value)) return { status: -EINVAL };
        await device.selectAlternate(r.value);
        entry.alternate = r.value;
        return { status: 0 };
      case GET_INTERFACE:
        return { status: 0, data: Uint8Array.of(entry.alternate) };
      case GET_STATUS:
        return { status: 0, data: new Uint8Array(2).subarray(0, r.length) };
      default:
        return { status: -EPIPE };
    }
  }

  private reply(seq: number, status: number, data?: Uint8Array): void {
    if (this.exited) return;
    const head = new Uint8Array(8);
    const view = new DataView(head.buffer);
    view.setUint32(0, seq, true);
    view.setInt32(4, status, true);
    this.send(IN_REPLY, data ? concatBytes([head, data]) : head);
  }
}

/** GET_DESCRIPTOR answers built from the device's raw descriptors (USB 2.0 §9.6). */
export function descriptorFor(descriptors: RawDeviceDescriptors, type: number, index: number): Uint8Array | undefined {
  switch (type) {
    case DESCRIPTOR_DEVICE:
      return descriptors.device;
    case DESCRIPTOR_CONFIGURATION:
      return index === 0 ? descriptors.configuration : undefined;
    case DESCRIPTOR_STRING: {
      if (index === 0) return Uint8Array.of(4, DESCRIPTOR_STRING, LANGID_EN_US & 0xff, LANGID_EN_US >> 8);
      // The bytes the device sends where known (a GD32 serial is not UTF-16LE).
      const raw = descriptors.rawStrings?.get(index);
      if (raw) return raw;
      const text = descriptors.strings.get(index);
      return text === undefined ? undefined : encodeStringDescriptor(text);
    }
    case DESCRIPTOR_DFU_FUNCTIONAL:
      return descriptors.functional ?? findFunctional(descriptors.configuration);
    default:
      return undefined;
  }
}

/** USB string descriptor: bLength, bDescriptorType 3, UTF-16LE text (at most 126 code units). */
export function encodeStringDescriptor(text: string): Uint8Array {
  const units = Math.min(text.length, 126);
  const out = new Uint8Array(2 + units * 2);
  out[0] = out.length;
  out[1] = DESCRIPTOR_STRING;
  for (let i = 0; i < units; i++) {
    const code = text.charCodeAt(i);
    out[2 + i * 2] = code & 0xff;
    out[3 + i * 2] = code >> 8;
  }
  return out;
}

function hasAlternate(configuration: Uint8Array, interfaceNumber: number, alternate: number): boolean {
  for (let offset = 0; offset + 4 <= configuration.length; ) {
    const length = configuration[offset]!;
    if (length < 2) return false;
    if (configuration[offset + 1] === DESCRIPTOR_INTERFACE && configuration[offset + 2] === interfaceNumber && configuration[offset + 3] === alternate) return true;
    offset += length;
  }
  return false;
}

function findFunctional(configuration: Uint8Array): Uint8Array | undefined {
  for (let offset = 0; offset + 2 <= configuration.length; ) {
    const length = configuration[offset]!;
    if (length < 2) return undefined;
    if (configuration[offset + 1] === DESCRIPTOR_DFU_FUNCTIONAL) return configuration.subarray(offset, offset + length);
    offset += length;
  }
  return undefined;
}

class FrameReader {
  private buffer: Uint8Array = new Uint8Array(0);

  *push(chunk: Uint8Array): Generator<[number, Uint8Array]> {
    this.buffer = this.buffer.length ? concatBytes([this.buffer, chunk]) : new Uint8Array(chunk);
    let offset = 0;
    while (this.buffer.length - offset >= 5) {
      const total = new DataView(this.buffer.buffer, this.buffer.byteOffset + offset, 4).getUint32(0, true);
      if (this.buffer.length - offset < 4 + total) break;
      const type = this.buffer[offset + 4]!;
      const payload = this.buffer.slice(offset + 5, offset + 4 + total);
      offset += 4 + total;
      yield [type, payload];
    }
    this.buffer = this.buffer.slice(offset);
  }
}
