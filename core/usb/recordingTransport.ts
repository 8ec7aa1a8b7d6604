// Records every request a host makes through an opened device into a USB trace (core/usb/trace.ts):
// the DFU class requests as the control transfers the adapters send for them (bmRequestType 0x21 /
// 0xA1 to the DFU interface, DFU 1.1 §3), SET_INTERFACE as the standard request it is (USB 2.0
// §9.4.10), and bus resets. It changes nothing: answers and failures pass through as they came.
import type { Clock, DfuTransport, OpenedDevice } from './transport.js';
import { TransferError } from './transport.js';
import type { ControlTraceEntry, TraceEntry, TraceStatus, UsbTrace } from './trace.js';
import { TRACE_FORMAT, TRACE_VERSION, redactSerial, toHex, traceDescriptorsOf } from './trace.js';

// DFU 1.1 §3: class requests to an interface; USB 2.0 §9.4.10 SET_INTERFACE.
export const REQUEST_TYPE_CLASS_OUT = 0x21;
export const REQUEST_TYPE_CLASS_IN = 0xa1;
export const REQUEST_TYPE_STANDARD_INTERFACE_OUT = 0x01;
export const SET_INTERFACE = 11;

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** How a failure reads in a trace: the seam's failure kind, and for I/O errors an errno name. */
export function traceStatusOf(error: unknown): { status: TraceStatus; errno?: string } {
  if (error instanceof TransferError) {
    if (error.failure === 'io') return { status: 'error', errno: /\b(E[A-Z]{2,})\b/.exec(error.message)?.[1] ?? 'EIO' };
    return { status: error.failure };
  }
  return { status: 'error', errno: 'EIO' };
}

export interface Recording {
  /** The same device, with a transport that records. */
  readonly opened: OpenedDevice;
  /** The trace so far (a snapshot). */
  trace(): UsbTrace;
}

export interface RecordingOptions {
  readonly clock: Clock;
  /** Goes into the trace's `source`. */
  readonly source: string;
  /** Leave the serial number out of the trace (it names one physical board; redactSerial). Default false. */
  readonly redactSerial?: boolean;
}

export function recordTransfers(opened: OpenedDevice, options: RecordingOptions): Recording {
  const { clock } = options;
  const inner = opened.transport;
  const iface = opened.interfaceNumber;
  const entries: TraceEntry[] = [];
  let previousStart: number | undefined;

  async function record<T>(setup: Omit<ControlTraceEntry, 'status' | 'sincePreviousMs' | 'durationMs' | 'kind' | 'reply'> | 'reset', run: () => Promise<T>, replyOf?: (value: T) => Uint8Array): Promise<T> {
    const start = clock.now();
    const sincePreviousMs = previousStart === undefined ? 0 : round(start - previousStart);
    previousStart = start;
    const slot = entries.length;
    entries.push(undefined as unknown as TraceEntry); // keeps the order of submission
    const finish = (status: { status: TraceStatus; errno?: string }, reply?: Uint8Array) => {
      const durationMs = round(clock.now() - start);
      entries[slot] =
        setup === 'reset'
          ? { kind: 'reset', ...status, sincePreviousMs, durationMs }
          : { kind: 'control', ...setup, ...(reply ? { reply: toHex(reply) } : {}), ...status, sincePreviousMs, durationMs };
    };
    try {
      const value = await run();
      finish({ status: 'ok' }, replyOf?.(value));
      return value;
    } catch (error) {
      finish(traceStatusOf(error));
      throw error;
    }
  }

  const transport: DfuTransport = {
    controlIn: (request, value, length) =>
      record({ bmRequestType: REQUEST_TYPE_CLASS_IN, bRequest: request, wValue: value, wIndex: iface, wLength: length }, () => inner.controlIn(request, value, length), (reply) => reply),
    controlOut: (request, value, data) =>
      record(
        { bmRequestType: REQUEST_TYPE_CLASS_OUT, bRequest: request, wValue: value, wIndex: iface, wLength: data?.length ?? 0, ...(data && data.length ? { dataOut: toHex(data) } : {}) },
        () => inner.controlOut(request, value, data),
      ),
    selectAlternate: (alternate) =>
      record({ bmRequestType: REQUEST_TYPE_STANDARD_INTERFACE_OUT, bRequest: SET_INTERFACE, wValue: alternate, wIndex: iface, wLength: 0 }, () => inner.selectAlternate(alternate)),
    ...(inner.reset ? { reset: () => record('reset', () => inner.reset!()) } : {}),
    close: () => inner.close(),
  };

  const { summary } = opened;
  const snapshot = (): UsbTrace => ({
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      source: options.source,
      device: {
        vendorId: summary.vendorId,
        productId: summary.productId,
        bcdDevice: summary.bcdDevice,
        ...(summary.serialNumber !== undefined ? { serialNumber: summary.serialNumber } : {}),
        ...(summary.product !== undefined ? { product: summary.product } : {}),
        interfaceNumber: iface,
        descriptors: traceDescriptorsOf(opened.descriptors),
      },
      entries: entries.filter((entry) => entry !== undefined),
  });
  return {
    opened: { ...opened, transport },
    trace: () => (options.redactSerial ? redactSerial(snapshot()) : snapshot()),
  };
}
