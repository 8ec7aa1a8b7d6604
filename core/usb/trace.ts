// A USB trace of one DfuSe session: the device's descriptors and every control transfer the host
// made on the DFU interface, in order, with what came back. Recorded from any transport
// (core/usb/recordingTransport.ts), converted from a Linux usbmon capture (node/usbmonTrace.ts),
// replayed in tests (core/usb/replayTransport.ts). The format is documented in docs/hardware.md §4.
// JSON only: bytes are lowercase hex strings, request fields are numbers.
import type { RawDeviceDescriptors, UsbDeviceSummary } from './transport.js';

export const TRACE_FORMAT = 'dfu-desk-usb-trace';
export const TRACE_VERSION = 1;

/** What became of a transfer. `error` carries the errno name the host saw (EPROTO, EPIPE, ...). */
export type TraceStatus = 'ok' | 'stall' | 'error' | 'timeout' | 'disconnected';

export interface ControlTraceEntry {
  readonly kind: 'control';
  /** USB 2.0 §9.3 setup packet. */
  readonly bmRequestType: number;
  readonly bRequest: number;
  readonly wValue: number;
  readonly wIndex: number;
  readonly wLength: number;
  /** Host-to-device: the bytes sent (hex). Absent when wLength is 0. */
  readonly dataOut?: string;
  /** Device-to-host, status ok: the bytes received (hex); may be shorter than wLength. */
  readonly reply?: string;
  /**
   * The real length of `dataOut` or `reply` when the capture kept only its first bytes (the usbmon
   * text interface keeps 32). Absent when the hex holds all of it.
   */
  readonly capturedFrom?: number;
  readonly status: TraceStatus;
  /** With status `error`: the errno name (EPROTO, EILSEQ, EOVERFLOW, ...) or number. */
  readonly errno?: string;
  /** Milliseconds from the previous entry's start to this one's (0 for the first). */
  readonly sincePreviousMs: number;
  /** Milliseconds from submit to completion, where known. */
  readonly durationMs?: number;
}

/** A USB bus reset the host asked for (DfuTransport.reset). */
export interface ResetTraceEntry {
  readonly kind: 'reset';
  readonly status: TraceStatus;
  readonly errno?: string;
  readonly sincePreviousMs: number;
  readonly durationMs?: number;
}

export type TraceEntry = ControlTraceEntry | ResetTraceEntry;

/** RawDeviceDescriptors in JSON: hex bytes, string descriptors by index. */
export interface TraceDescriptors {
  readonly device: string;
  readonly configuration: string;
  readonly strings: Readonly<Record<string, string>>;
  readonly rawStrings?: Readonly<Record<string, string>>;
  readonly functional?: string;
}

export interface TraceDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
  readonly serialNumber?: string;
  readonly product?: string;
  readonly interfaceNumber: number;
  readonly descriptors: TraceDescriptors;
}

export interface UsbTrace {
  readonly format: typeof TRACE_FORMAT;
  readonly version: typeof TRACE_VERSION;
  /** Where it came from: "recorded from the simulator (stm32f405)", "usbmon: dfu-util 0.11 on a NUCLEO-F411RE", ... */
  readonly source: string;
  readonly device: TraceDevice;
  readonly entries: readonly TraceEntry[];
}

/** A malformed trace, naming the entry (when the problem is in one) and the field. */
export class TraceFormatError extends Error {
  readonly entry?: number;
  readonly field: string;

  constructor(field: string, problem: string, entry?: number) {
    super(`${entry === undefined ? 'trace' : `trace entry ${entry}`}: ${field} ${problem}`);
    this.name = 'TraceFormatError';
    this.field = field;
    this.entry = entry;
  }
}

// --- bytes ---------------------------------------------------------------------------------------

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

const HEX = /^(?:[0-9a-f]{2})*$/;

/** Parses lowercase or uppercase hex without separators; undefined when it is not hex. */
export function hexBytes(text: string): Uint8Array | undefined {
  const lower = text.toLowerCase();
  if (!HEX.test(lower)) return undefined;
  const out = new Uint8Array(lower.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(lower.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// --- descriptors ---------------------------------------------------------------------------------

export function traceDescriptorsOf(raw: RawDeviceDescriptors): TraceDescriptors {
  const strings: Record<string, string> = {};
  for (const [index, text] of raw.strings) strings[String(index)] = text;
  const out: { -readonly [K in keyof TraceDescriptors]: TraceDescriptors[K] } = { device: toHex(raw.device), configuration: toHex(raw.configuration), strings };
  if (raw.rawStrings) {
    const rawStrings: Record<string, string> = {};
    for (const [index, bytes] of raw.rawStrings) rawStrings[String(index)] = toHex(bytes);
    out.rawStrings = rawStrings;
  }
  if (raw.functional) out.functional = toHex(raw.functional);
  return out;
}

export function rawDescriptorsOf(trace: TraceDescriptors): RawDeviceDescriptors {
  const strings = new Map<number, string>();
  for (const [index, text] of Object.entries(trace.strings)) strings.set(Number(index), text);
  const rawStrings = trace.rawStrings ? new Map(Object.entries(trace.rawStrings).map(([index, hex]) => [Number(index), hexBytes(hex)!] as const)) : undefined;
  return {
    device: hexBytes(trace.device)!,
    configuration: hexBytes(trace.configuration)!,
    strings,
    ...(rawStrings ? { rawStrings } : {}),
    ...(trace.functional !== undefined ? { functional: hexBytes(trace.functional)! } : {}),
  };
}

/** The bus summary a replayed device shows (the id says it is a replay). */
export function summaryOf(trace: UsbTrace, id = 'replay:1'): UsbDeviceSummary {
  const { device } = trace;
  return {
    id,
    vendorId: device.vendorId,
    productId: device.productId,
    bcdDevice: device.bcdDevice,
    path: id,
    ...(device.serialNumber !== undefined ? { serialNumber: device.serialNumber } : {}),
    ...(device.product !== undefined ? { product: device.product } : {}),
    isSimulated: true,
  };
}

/** The placeholder a redacted serial number becomes. */
export const REDACTED_SERIAL = 'REDACTED';

/**
 * The trace without the board's serial number (it names one physical board): the summary's serial
 * goes, and the string descriptor iSerialNumber points at (device descriptor byte 16, USB 2.0
 * §9.6.1) reads REDACTED; its raw bytes go too.
 */
export function redactSerial(trace: UsbTrace): UsbTrace {
  const { serialNumber: _serial, ...device } = trace.device;
  const index = hexBytes(device.descriptors.device)?.[16] ?? 0;
  const strings = { ...device.descriptors.strings };
  const rawStrings = device.descriptors.rawStrings ? { ...device.descriptors.rawStrings } : undefined;
  if (index !== 0) {
    if (strings[String(index)] !== undefined) strings[String(index)] = REDACTED_SERIAL;
    if (rawStrings) delete rawStrings[String(index)];
  }
  const { rawStrings: _raw, ...descriptors } = device.descriptors;
  return { ...trace, device: { ...device, descriptors: { ...descriptors, strings, ...(rawStrings ? { rawStrings } : {}) } } };
}

// --- parsing -------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

const STATUSES: readonly TraceStatus[] = ['ok', 'stall', 'error', 'timeout', 'disconnected'];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integer(object: Json, field: string, max: number, entry?: number): number {
  const value = object[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new TraceFormatError(field, `must be an integer from 0 to ${max}, not ${JSON.stringify(value)}`, entry);
  }
  return value;
}

function milliseconds(object: Json, field: string, entry: number, required: boolean): number | undefined {
  const value = object[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TraceFormatError(field, `must be a number of milliseconds, 0 or more, not ${JSON.stringify(value)}`, entry);
  }
  return value;
}

function optionalString(object: Json, field: string, entry?: number): string | undefined {
  const value = object[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TraceFormatError(field, `must be a string, not ${JSON.stringify(value)}`, entry);
  return value;
}

function hexField(object: Json, field: string, entry?: number): Uint8Array | undefined {
  const text = optionalString(object, field, entry);
  if (text === undefined) return undefined;
  const bytes = hexBytes(text);
  if (!bytes) throw new TraceFormatError(field, `must be hex bytes (pairs of 0-9a-f, no separators), not ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)}`, entry);
  return bytes;
}

function statusOf(object: Json, entry: number): { status: TraceStatus; errno?: string } {
  const status = object.status;
  if (typeof status !== 'string' || !STATUSES.includes(status as TraceStatus)) {
    throw new TraceFormatError('status', `must be one of ${STATUSES.join(', ')}, not ${JSON.stringify(status)}`, entry);
  }
  const errno = optionalString(object, 'errno', entry);
  if (status === 'error' && errno === undefined) throw new TraceFormatError('errno', 'is required when status is "error" (EPROTO, EILSEQ, ...)', entry);
  if (status !== 'error' && errno !== undefined) throw new TraceFormatError('errno', `belongs only to status "error", not "${status}"`, entry);
  return errno === undefined ? { status: status as TraceStatus } : { status: status as TraceStatus, errno };
}

function parseEntry(value: unknown, index: number): TraceEntry {
  if (!isObject(value)) throw new TraceFormatError('entry', 'must be an object', index);
  const sincePreviousMs = milliseconds(value, 'sincePreviousMs', index, true)!;
  const durationMs = milliseconds(value, 'durationMs', index, false);
  const timing = durationMs === undefined ? { sincePreviousMs } : { sincePreviousMs, durationMs };
  if (value.kind === 'reset') return { kind: 'reset', ...statusOf(value, index), ...timing };
  if (value.kind !== 'control') throw new TraceFormatError('kind', `must be "control" or "reset", not ${JSON.stringify(value.kind)}`, index);

  const bmRequestType = integer(value, 'bmRequestType', 0xff, index);
  const bRequest = integer(value, 'bRequest', 0xff, index);
  const wValue = integer(value, 'wValue', 0xffff, index);
  const wIndex = integer(value, 'wIndex', 0xffff, index);
  const wLength = integer(value, 'wLength', 0xffff, index);
  const { status, errno } = statusOf(value, index);
  const isIn = (bmRequestType & 0x80) !== 0;
  const dataOut = hexField(value, 'dataOut', index);
  const reply = hexField(value, 'reply', index);
  const capturedFrom = value.capturedFrom === undefined ? undefined : integer(value, 'capturedFrom', 0xffff, index);

  if (isIn && dataOut) throw new TraceFormatError('dataOut', `is not allowed on a device-to-host request (bmRequestType 0x${bmRequestType.toString(16)})`, index);
  if (!isIn && reply) throw new TraceFormatError('reply', `is not allowed on a host-to-device request (bmRequestType 0x${bmRequestType.toString(16)})`, index);
  if (!isIn && wLength > 0 && !dataOut && capturedFrom === undefined) throw new TraceFormatError('dataOut', `is missing: the request sends ${wLength} bytes`, index);
  if (dataOut && capturedFrom === undefined && dataOut.length !== wLength) {
    throw new TraceFormatError('dataOut', `holds ${dataOut.length} bytes but wLength is ${wLength} (set capturedFrom when the capture kept only the first bytes)`, index);
  }
  if (reply && status !== 'ok') throw new TraceFormatError('reply', `is only allowed with status "ok", not "${status}"`, index);
  if (isIn && status === 'ok' && !reply && wLength > 0 && capturedFrom === undefined) {
    throw new TraceFormatError('reply', 'is missing: a device-to-host request that succeeded needs its reply (use "" for an empty one)', index);
  }
  if (reply && capturedFrom === undefined && reply.length > wLength) throw new TraceFormatError('reply', `holds ${reply.length} bytes, more than wLength ${wLength}`, index);
  if (capturedFrom !== undefined) {
    const captured = (isIn ? reply : dataOut)?.length ?? 0;
    if (capturedFrom < captured || capturedFrom > wLength) {
      throw new TraceFormatError('capturedFrom', `must lie between the ${captured} captured bytes and wLength ${wLength}, not ${capturedFrom}`, index);
    }
    if (!isIn && capturedFrom !== wLength) throw new TraceFormatError('capturedFrom', `must equal wLength ${wLength} on a host-to-device request, not ${capturedFrom}`, index);
  }

  return {
    kind: 'control',
    bmRequestType,
    bRequest,
    wValue,
    wIndex,
    wLength,
    ...(dataOut ? { dataOut: toHex(dataOut) } : {}),
    ...(reply ? { reply: toHex(reply) } : {}),
    ...(capturedFrom !== undefined ? { capturedFrom } : {}),
    status,
    ...(errno !== undefined ? { errno } : {}),
    ...timing,
  };
}

function parseDescriptors(value: unknown): TraceDescriptors {
  if (!isObject(value)) throw new TraceFormatError('device.descriptors', 'must be an object');
  const field = (name: string) => `device.descriptors.${name}`;
  const bytes = (name: string, required: boolean): string | undefined => {
    const text = value[name];
    if (text === undefined && !required) return undefined;
    if (typeof text !== 'string' || !hexBytes(text)) throw new TraceFormatError(field(name), 'must be hex bytes');
    return text.toLowerCase();
  };
  const device = bytes('device', true)!;
  if (device.length !== 36) throw new TraceFormatError(field('device'), `must be the 18-byte device descriptor, not ${device.length / 2} bytes`);
  const configuration = bytes('configuration', true)!;
  if (configuration.length < 18) throw new TraceFormatError(field('configuration'), 'must be the whole configuration descriptor (9 bytes or more)');
  const table = (name: string, isHex: boolean): Record<string, string> | undefined => {
    const object = value[name];
    if (object === undefined && name === 'rawStrings') return undefined;
    if (!isObject(object)) throw new TraceFormatError(field(name), 'must be an object of string descriptors by index');
    const out: Record<string, string> = {};
    for (const [index, text] of Object.entries(object)) {
      if (!/^\d+$/.test(index) || Number(index) > 255) throw new TraceFormatError(`${field(name)}.${index}`, 'is not a string descriptor index (0-255)');
      if (typeof text !== 'string' || (isHex && !hexBytes(text))) throw new TraceFormatError(`${field(name)}.${index}`, isHex ? 'must be hex bytes' : 'must be a string');
      out[index] = isHex ? text.toLowerCase() : text;
    }
    return out;
  };
  const strings = table('strings', false)!;
  const rawStrings = table('rawStrings', true);
  const functional = bytes('functional', false);
  return { device, configuration, strings, ...(rawStrings ? { rawStrings } : {}), ...(functional !== undefined ? { functional } : {}) };
}

/** Checks a parsed JSON value and returns it as a trace; throws TraceFormatError naming the field. */
export function parseTrace(value: unknown): UsbTrace {
  if (!isObject(value)) throw new TraceFormatError('trace', 'must be a JSON object');
  if (value.format !== TRACE_FORMAT) throw new TraceFormatError('format', `must be "${TRACE_FORMAT}", not ${JSON.stringify(value.format)}`);
  if (value.version !== TRACE_VERSION) throw new TraceFormatError('version', `must be ${TRACE_VERSION}, not ${JSON.stringify(value.version)}`);
  const source = optionalString(value, 'source');
  if (source === undefined) throw new TraceFormatError('source', 'is required (where the trace came from)');
  const device = value.device;
  if (!isObject(device)) throw new TraceFormatError('device', 'must be an object');
  const ids = {
    vendorId: integer(device, 'vendorId', 0xffff),
    productId: integer(device, 'productId', 0xffff),
    bcdDevice: integer(device, 'bcdDevice', 0xffff),
    interfaceNumber: integer(device, 'interfaceNumber', 0xff),
  };
  const serialNumber = optionalString(device, 'serialNumber');
  const product = optionalString(device, 'product');
  const descriptors = parseDescriptors(device.descriptors);
  if (!Array.isArray(value.entries)) throw new TraceFormatError('entries', 'must be an array');
  const entries = value.entries.map((entry, index) => parseEntry(entry, index));
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    source,
    device: { ...ids, ...(serialNumber !== undefined ? { serialNumber } : {}), ...(product !== undefined ? { product } : {}), descriptors },
    entries,
  };
}

/** Parses trace text (JSON); a syntax error is a TraceFormatError too. */
export function parseTraceText(text: string): UsbTrace {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TraceFormatError('trace', `is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseTrace(value);
}

/** One entry per line, so diffs of committed traces stay readable. */
export function formatTrace(trace: UsbTrace): string {
  const { entries, ...head } = trace;
  const headText = JSON.stringify(head, null, 2);
  const lines = entries.map((entry) => `    ${JSON.stringify(entry)}`);
  return `${headText.slice(0, -2)},\n  "entries": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

/** "GETSTATUS" style names for messages; the DFU class requests (DFU 1.1 §3) and SET_INTERFACE. */
export function describeRequest(entry: Pick<ControlTraceEntry, 'bmRequestType' | 'bRequest' | 'wValue' | 'wIndex' | 'wLength'>): string {
  const names: Record<string, string> = { '33:0': 'DETACH', '33:1': 'DNLOAD', '161:2': 'UPLOAD', '161:3': 'GETSTATUS', '33:4': 'CLRSTATUS', '161:5': 'GETSTATE', '33:6': 'ABORT', '1:11': 'SET_INTERFACE', '128:6': 'GET_DESCRIPTOR' };
  const name = names[`${entry.bmRequestType}:${entry.bRequest}`] ?? `request 0x${entry.bmRequestType.toString(16).padStart(2, '0')}/${entry.bRequest}`;
  return `${name} wValue ${entry.wValue} wIndex ${entry.wIndex} wLength ${entry.wLength}`;
}
