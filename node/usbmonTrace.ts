// Converts a Linux usbmon text capture into a USB trace (core/usb/trace.ts) that the replay
// transport can answer from. The input is the text the kernel writes to
// /sys/kernel/debug/usb/usbmon/<bus>u ("1u" format), or the older "1t" format, as Linux
// Documentation/usb/usbmon.rst ("Raw text data format") describes it: one event per line, words
// separated by blanks: URB tag, timestamp in microseconds, event type (S submission, C callback,
// E submission error), address word (type and direction, [bus,] device, endpoint), then for a
// control submission the setup tag 's' and five words bmRequestType bRequest wValue wIndex wLength,
// otherwise a status word; then the data length, a data tag and, if the tag is '=', the data as
// hex words of up to four bytes each. The kernel's text interface keeps at most 32 data bytes of a
// URB (DATA_MAX in drivers/usb/mon/mon_text.c); the `usbmon` utility (-fu -s <bytes>) prints the
// same format with more. Cut data is marked with `capturedFrom` in the trace.
// No file access here: the caller reads the capture (scripts/usbmon-to-trace.mjs).
import { decodeStringDescriptor } from '../core/usb/descriptors.js';
import type { ControlTraceEntry, TraceDescriptors, TraceStatus, UsbTrace } from '../core/usb/trace.js';
import { TRACE_FORMAT, TRACE_VERSION, hexBytes, parseTrace, redactSerial, toHex } from '../core/usb/trace.js';

/** A capture line the converter cannot read, naming its line number. */
export class UsbmonFormatError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`usbmon line ${line}: ${problem}`);
    this.name = 'UsbmonFormatError';
  }
}

export interface UsbmonConvertOptions {
  /** Where it came from, for the trace's `source` (tool, board, chip revision, host). */
  readonly source: string;
  /** "bus:address" (1u) or "address" of the DFU device. Default: the first device that gets DFU class requests. */
  readonly device?: string;
  /**
   * The device and configuration descriptors as hex, as Linux's sysfs `descriptors` file holds them
   * (the device descriptor, then the configuration descriptor). Needed when the capture does not
   * hold complete GET_DESCRIPTOR replies (libusb reads these two from sysfs, not from the device).
   */
  readonly descriptorsHex?: string;
  /** String descriptors by index, for those the capture lacks or cut short. */
  readonly strings?: Readonly<Record<string, string>>;
  /** Keep the board's serial number. Default false: it is replaced (docs/hardware.md §4). */
  readonly keepSerial?: boolean;
}

export interface UsbmonConversion {
  readonly trace: UsbTrace;
  /** Control transfers to the device that are not in the trace (GET_DESCRIPTOR, SET_CONFIGURATION, ...), by request. */
  readonly skipped: Readonly<Record<string, number>>;
  /** Entries whose data the capture cut short. */
  readonly truncated: number;
}

// Linux errno numbers (include/uapi/asm-generic/errno-base.h, errno.h) a USB completion carries;
// Documentation/driver-api/usb/error-codes.rst says which mean what for a URB.
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM', 2: 'ENOENT', 5: 'EIO', 12: 'ENOMEM', 16: 'EBUSY', 18: 'EXDEV', 19: 'ENODEV', 22: 'EINVAL', 28: 'ENOSPC', 32: 'EPIPE',
  63: 'ENOSR', 70: 'ECOMM', 71: 'EPROTO', 75: 'EOVERFLOW', 84: 'EILSEQ', 104: 'ECONNRESET', 108: 'ESHUTDOWN', 110: 'ETIMEDOUT', 115: 'EINPROGRESS', 121: 'EREMOTEIO',
};

/** What a URB completion status means for the trace (error-codes.rst). */
function statusOf(code: number): { status: TraceStatus; errno?: string } {
  if (code === 0) return { status: 'ok' };
  const name = ERRNO_NAMES[-code] ?? `E${-code}`;
  switch (name) {
    case 'EPIPE': // endpoint stalled
      return { status: 'stall' };
    case 'ENOENT': // killed (usb_kill_urb): libusb cancels a transfer when its timeout expires
    case 'ECONNRESET': // unlinked asynchronously: the same cancellation
    case 'ETIMEDOUT':
      return { status: 'timeout' };
    case 'ENODEV': // device removed
    case 'ESHUTDOWN':
      return { status: 'disconnected' };
    default:
      return { status: 'error', errno: name };
  }
}

interface Submission {
  readonly line: number;
  readonly at: number;
  readonly device: string;
  readonly setup: readonly [number, number, number, number, number];
  readonly data?: Uint8Array;
  readonly length: number;
}

interface Completion {
  readonly at: number;
  readonly code: number;
  readonly length: number;
  readonly data?: Uint8Array;
}

interface Transfer extends Submission {
  readonly completion: Completion;
}

// The text timestamp is (seconds % 4096) * 1e6 + microseconds (mon_text.c), so it wraps.
const TIMESTAMP_WRAP_US = 4096 * 1_000_000;

function elapsedUs(from: number, to: number): number {
  const diff = to - from;
  return diff >= 0 ? diff : diff + TIMESTAMP_WRAP_US;
}

function parseNumber(word: string | undefined, radix: number, line: number, what: string): number {
  const ok = word !== undefined && (radix === 16 ? /^[0-9a-fA-F]+$/ : /^-?\d+$/).test(word);
  if (!ok) throw new UsbmonFormatError(line, `${what} must be a ${radix === 16 ? 'hex' : 'decimal'} number, not ${JSON.stringify(word)}`);
  return parseInt(word, radix);
}

/** The data length word, the data tag and the data words from `index` on. */
function parseData(words: readonly string[], index: number, line: number): { length: number; data?: Uint8Array } {
  const length = parseNumber(words[index], 10, line, 'the data length');
  if (words[index + 1] !== '=') return { length };
  const hex = words.slice(index + 2).join('');
  const data = hexBytes(hex);
  if (!data || words.slice(index + 2).some((word) => word.length > 8)) throw new UsbmonFormatError(line, `data words must be hex of up to 4 bytes each, not ${JSON.stringify(words.slice(index + 2).join(' '))}`);
  return { length, data };
}

/** Control transfers on endpoint 0, paired S with C (or E) by URB tag, in submission order. */
function controlTransfers(text: string): Transfer[] {
  const open = new Map<string, Submission>();
  const done: Transfer[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const words = raw.trim().split(/\s+/);
    if (words.length === 1 && words[0] === '') return;
    if (words.length < 5) throw new UsbmonFormatError(line, `an event needs at least 5 words (tag, timestamp, type, address, status), found ${words.length}`);
    const [tag, timestamp, type, address] = words as [string, string, string, string];
    const at = parseNumber(timestamp, 10, line, 'the timestamp');
    if (type !== 'S' && type !== 'C' && type !== 'E') throw new UsbmonFormatError(line, `the event type must be S, C or E, not ${JSON.stringify(type)}`);
    const fields = address.split(':');
    if (fields.length !== 3 && fields.length !== 4) throw new UsbmonFormatError(line, `the address word must be type:[bus:]device:endpoint, not ${JSON.stringify(address)}`);
    const kind = fields[0]!;
    if (!/^[CZIB][io]$/.test(kind)) throw new UsbmonFormatError(line, `the transfer type must be Ci, Co, Zi, Zo, Ii, Io, Bi or Bo, not ${JSON.stringify(kind)}`);
    const endpoint = parseNumber(fields[fields.length - 1], 10, line, 'the endpoint');
    if (kind[0] !== 'C' || endpoint !== 0) return; // only the default control pipe
    const device = fields.length === 4 ? `${parseNumber(fields[1], 10, line, 'the bus')}:${parseNumber(fields[2], 10, line, 'the device')}` : String(parseNumber(fields[1], 10, line, 'the device'));

    if (type === 'S') {
      if (words[4] !== 's') throw new UsbmonFormatError(line, `a control submission needs the setup tag 's' and its 5 setup words (a setup tag other than 's' means the setup packet was not captured)`);
      const setup = [0, 1, 2, 3, 4].map((k) => parseNumber(words[5 + k], 16, line, ['bmRequestType', 'bRequest', 'wValue', 'wIndex', 'wLength'][k]!)) as unknown as Submission['setup'];
      const { length, data } = parseData(words, 10, line);
      open.set(tag, { line, at, device, setup, length, ...(data ? { data } : {}) });
      return;
    }
    const submission = open.get(tag);
    if (!submission) return; // its submission came before the capture started
    open.delete(tag);
    const code = parseNumber(words[4]!.split(':')[0], 10, line, 'the URB status');
    const { length, data } = type === 'E' ? { length: 0, data: undefined } : parseData(words, 5, line);
    done.push({ ...submission, completion: { at, code, length, ...(data ? { data } : {}) } });
  });
  // Still open at the end: the capture stopped first. They are left out (nothing answered them).
  return done.sort((a, b) => a.line - b.line);
}

const isDfuClass = (bmRequestType: number) => bmRequestType === 0x21 || bmRequestType === 0xa1;
const isSetInterface = (t: Transfer) => t.setup[0] === 0x01 && t.setup[1] === 11;
const requestName = (t: Transfer) => `0x${t.setup[0].toString(16).padStart(2, '0')}/${t.setup[1]}`;

function descriptorsFrom(transfers: readonly Transfer[], options: UsbmonConvertOptions): TraceDescriptors {
  let device: Uint8Array | undefined;
  let configuration: Uint8Array | undefined;
  const strings: Record<string, string> = {};
  const rawStrings: Record<string, string> = {};
  for (const t of transfers) {
    const [bmRequestType, bRequest, wValue] = t.setup;
    const reply = t.completion.data;
    if (bmRequestType !== 0x80 || bRequest !== 6 || t.completion.code !== 0 || !reply) continue;
    if (reply.length < t.completion.length) continue; // cut short by the capture
    const type = wValue >> 8;
    const index = wValue & 0xff;
    if (type === 1 && reply.length >= 18) device = reply.slice(0, 18);
    if (type === 2 && reply.length >= 4 && reply.length >= (reply[2]! | (reply[3]! << 8))) configuration = reply.slice(0, reply[2]! | (reply[3]! << 8));
    if (type === 3 && index !== 0 && reply.length >= 2 && reply[1] === 3) {
      strings[String(index)] = decodeStringDescriptor(reply);
      rawStrings[String(index)] = toHex(reply.slice(0, Math.min(reply.length, reply[0]!)));
    }
  }
  if (options.descriptorsHex !== undefined) {
    const bytes = hexBytes(options.descriptorsHex.replace(/\s+/g, ''));
    if (!bytes || bytes.length < 18 + 9) throw new Error('descriptorsHex must be hex of the device descriptor followed by the configuration descriptor (sysfs "descriptors")');
    device = bytes.slice(0, 18);
    const total = bytes[18 + 2]! | (bytes[18 + 3]! << 8);
    configuration = bytes.slice(18, 18 + total);
  }
  for (const [index, text] of Object.entries(options.strings ?? {})) {
    strings[index] = text;
    delete rawStrings[index];
  }
  if (!device) throw new Error('the capture holds no complete device descriptor reply: give the sysfs "descriptors" file (descriptorsHex; --descriptors of scripts/usbmon-to-trace.mjs; docs/hardware.md §4)');
  if (!configuration) throw new Error('the capture holds no complete configuration descriptor reply (the kernel text keeps 32 bytes): give the sysfs "descriptors" file (descriptorsHex; --descriptors of scripts/usbmon-to-trace.mjs; docs/hardware.md §4)');
  return { device: toHex(device), configuration: toHex(configuration), strings, ...(Object.keys(rawStrings).length ? { rawStrings } : {}) };
}

const ms = (us: number) => Math.round(us) / 1000;

export function usbmonToTrace(text: string, options: UsbmonConvertOptions): UsbmonConversion {
  const all = controlTransfers(text);
  // "3:012" and "3:12" name the same device (usbmon pads with zeros).
  const named = options.device?.split(':').map((part) => String(parseInt(part, 10))).join(':');
  const target = named ?? all.find((t) => isDfuClass(t.setup[0]))?.device;
  if (target === undefined) throw new Error('the capture holds no DFU class request (bmRequestType 0x21 or 0xA1) on any device: was the right bus captured?');
  const mine = all.filter((t) => t.device === target);
  if (mine.length === 0) throw new Error(`the capture holds no control transfer to device ${target}`);
  const firstDfu = mine.find((t) => isDfuClass(t.setup[0]));
  if (!firstDfu) throw new Error(`device ${target} gets no DFU class request in the capture`);
  const interfaceNumber = firstDfu.setup[3];

  const skipped: Record<string, number> = {};
  const entries: ControlTraceEntry[] = [];
  let truncated = 0;
  let previousAt: number | undefined;
  for (const t of mine) {
    if (!isDfuClass(t.setup[0]) && !isSetInterface(t)) {
      skipped[requestName(t)] = (skipped[requestName(t)] ?? 0) + 1;
      continue;
    }
    const [bmRequestType, bRequest, wValue, wIndex, wLength] = t.setup;
    const isIn = (bmRequestType & 0x80) !== 0;
    const status = statusOf(t.completion.code);
    const data = isIn ? t.completion.data : t.data;
    const fullLength = isIn ? t.completion.length : wLength;
    const cut = (data?.length ?? 0) < fullLength && (isIn ? status.status === 'ok' : true);
    if (cut) truncated++;
    entries.push({
      kind: 'control',
      bmRequestType,
      bRequest,
      wValue,
      wIndex,
      wLength,
      ...(!isIn && data && data.length ? { dataOut: toHex(data) } : {}),
      ...(isIn && status.status === 'ok' ? { reply: toHex(data ?? new Uint8Array(0)) } : {}),
      ...(cut ? { capturedFrom: fullLength } : {}),
      ...status,
      sincePreviousMs: previousAt === undefined ? 0 : ms(elapsedUs(previousAt, t.at)),
      durationMs: ms(elapsedUs(t.at, t.completion.at)),
    });
    previousAt = t.at;
  }

  const descriptors = descriptorsFrom(mine, options);
  const deviceBytes = hexBytes(descriptors.device)!;
  const stringAt = (offset: number) => (deviceBytes[offset] ? descriptors.strings[String(deviceBytes[offset])] : undefined);
  const serialNumber = stringAt(16);
  const product = stringAt(15);
  const trace: UsbTrace = {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    source: options.source,
    device: {
      vendorId: deviceBytes[8]! | (deviceBytes[9]! << 8),
      productId: deviceBytes[10]! | (deviceBytes[11]! << 8),
      bcdDevice: deviceBytes[12]! | (deviceBytes[13]! << 8),
      ...(serialNumber !== undefined ? { serialNumber } : {}),
      ...(product !== undefined ? { product } : {}),
      interfaceNumber,
      descriptors,
    },
    entries,
  };
  // Through the parser: what we write is what the replay will accept.
  const checked = parseTrace(JSON.parse(JSON.stringify(options.keepSerial ? trace : redactSerial(trace))));
  return { trace: checked, skipped, truncated };
}
