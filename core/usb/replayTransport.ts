// Answers a host from a USB trace (core/usb/trace.ts): each request must be the next one the trace
// holds, and gets that entry's answer (its reply bytes, or its STALL / I/O error / timeout /
// disconnect), after the entry's recorded duration on the host's clock so that timing-driven host
// logic (the poll mode detection, core/dfuse/poll.ts) sees what it saw when it was recorded.
// Anything else fails loudly, naming the entry: a replay proves the host makes the same requests.
import type { Clock, DfuTransport, OpenedDevice } from './transport.js';
import { TransferError } from './transport.js';
import type { ControlTraceEntry, TraceEntry, UsbTrace } from './trace.js';
import { describeRequest, hexBytes, rawDescriptorsOf, summaryOf, toHex } from './trace.js';
import { REQUEST_TYPE_CLASS_IN, REQUEST_TYPE_CLASS_OUT, REQUEST_TYPE_STANDARD_INTERFACE_OUT, SET_INTERFACE } from './recordingTransport.js';

/** The host did something the trace does not hold. */
export class ReplayMismatchError extends Error {
  /** Index of the trace entry the request was compared with (entries.length when the trace ran out). */
  readonly entry: number;

  constructor(entry: number, message: string) {
    super(message);
    this.name = 'ReplayMismatchError';
    this.entry = entry;
  }
}

export interface ReplayOptions {
  readonly clock: Clock;
  /** Bus id of the replayed device. Default "replay:1". */
  readonly id?: string;
}

export interface Replay {
  readonly opened: OpenedDevice;
  /** Entries answered so far. */
  readonly position: number;
  /** Entries the host has not asked for yet. */
  readonly remaining: number;
  /** The first mismatch, kept even if the host caught the error. */
  readonly mismatch: ReplayMismatchError | undefined;
  /** Throws unless every entry was replayed and nothing mismatched. */
  assertComplete(): void;
}

function bytesText(hex: string): string {
  const n = hex.length / 2;
  return n <= 16 ? `[${hex}]` : `${n} bytes [${hex.slice(0, 32)}...]`;
}

export function replayTrace(trace: UsbTrace, options: ReplayOptions): Replay {
  const { clock } = options;
  const iface = trace.device.interfaceNumber;
  let position = 0;
  let mismatch: ReplayMismatchError | undefined;

  const fail = (entry: number, message: string): never => {
    const error = new ReplayMismatchError(entry, message);
    mismatch ??= error;
    throw error;
  };

  /** Takes the next entry if the request matches it; fails naming it otherwise. */
  function take(request: Omit<ControlTraceEntry, 'kind' | 'status' | 'sincePreviousMs'> | 'reset'): TraceEntry {
    const index = position;
    const sent = request === 'reset' ? 'a USB reset' : describeRequest(request) + (request.dataOut ? ` with ${bytesText(request.dataOut)}` : '');
    if (mismatch) fail(index, `trace entry ${mismatch.entry} mismatched earlier (${mismatch.message}); the host then sent ${sent}`);
    const entry = trace.entries[index];
    if (!entry) return fail(index, `the trace (${trace.entries.length} entries, ${trace.source}) has ended, but the host sent ${sent}`);
    const expected = entry.kind === 'reset' ? 'a USB reset' : describeRequest(entry) + (entry.dataOut ? ` with ${bytesText(entry.dataOut)}` : '');
    const differ = (detail: string) => fail(index, `trace entry ${index}: the host sent ${sent}, the trace holds ${expected}${detail}`);
    if (request === 'reset' || entry.kind === 'reset') {
      if (request !== 'reset' || entry.kind !== 'reset') differ('');
    } else if (request.bmRequestType !== entry.bmRequestType || request.bRequest !== entry.bRequest || request.wValue !== entry.wValue || request.wIndex !== entry.wIndex || request.wLength !== entry.wLength) {
      differ('');
    } else if (request.dataOut !== undefined || entry.dataOut !== undefined) {
      const sentData = request.dataOut ?? '';
      const heldData = entry.dataOut ?? '';
      // A capture that kept only the first bytes (capturedFrom) is compared on what it kept.
      const compared = entry.capturedFrom !== undefined ? sentData.slice(0, heldData.length) : sentData;
      if (compared !== heldData) {
        let at = 0;
        while (at * 2 < heldData.length && compared.slice(at * 2, at * 2 + 2) === heldData.slice(at * 2, at * 2 + 2)) at++;
        differ(`: the data differ first at byte ${at}`);
      }
    }
    position++;
    return entry;
  }

  async function answer(entry: TraceEntry, index: number): Promise<void> {
    if (entry.durationMs) await clock.sleep(entry.durationMs);
    const where = `trace entry ${index}`;
    switch (entry.status) {
      case 'ok':
        return;
      case 'stall':
        throw new TransferError('stall', `${where}: STALL (replayed)`);
      case 'timeout':
        throw new TransferError('timeout', `${where}: timed out (replayed)`);
      case 'disconnected':
        throw new TransferError('disconnected', `${where}: device gone (replayed)`);
      case 'error':
        throw new TransferError('io', `${where}: ${entry.errno ?? 'EIO'} (replayed)`);
    }
  }

  const transport: DfuTransport = {
    async controlIn(request, value, length) {
      const index = position;
      const entry = take({ bmRequestType: REQUEST_TYPE_CLASS_IN, bRequest: request, wValue: value, wIndex: iface, wLength: length }) as ControlTraceEntry;
      await answer(entry, index);
      if (entry.capturedFrom !== undefined && (entry.reply?.length ?? 0) / 2 < entry.capturedFrom) {
        fail(index, `trace entry ${index}: the capture kept only ${(entry.reply?.length ?? 0) / 2} of the ${entry.capturedFrom} reply bytes of ${describeRequest(entry)}, so it cannot be replayed (capture with a larger data size, docs/hardware.md §2)`);
      }
      return hexBytes(entry.reply ?? '')!;
    },
    async controlOut(request, value, data) {
      const index = position;
      const bytes = data ?? new Uint8Array(0);
      const entry = take({ bmRequestType: REQUEST_TYPE_CLASS_OUT, bRequest: request, wValue: value, wIndex: iface, wLength: bytes.length, ...(bytes.length ? { dataOut: toHex(bytes) } : {}) });
      await answer(entry, index);
      return bytes.length;
    },
    async selectAlternate(alternate) {
      const index = position;
      const entry = take({ bmRequestType: REQUEST_TYPE_STANDARD_INTERFACE_OUT, bRequest: SET_INTERFACE, wValue: alternate, wIndex: iface, wLength: 0 });
      await answer(entry, index);
    },
    async reset() {
      const index = position;
      await answer(take('reset'), index);
    },
    close: () => Promise.resolve(),
  };

  const summary = summaryOf(trace, options.id);
  return {
    opened: { summary, descriptors: rawDescriptorsOf(trace.device.descriptors), interfaceNumber: iface, transport },
    get position() {
      return position;
    },
    get remaining() {
      return trace.entries.length - position;
    },
    get mismatch() {
      return mismatch;
    },
    assertComplete() {
      if (mismatch) throw mismatch;
      if (position < trace.entries.length) {
        const next = trace.entries[position]!;
        throw new ReplayMismatchError(position, `the host stopped after ${position} of ${trace.entries.length} trace entries; entry ${position} is ${next.kind === 'reset' ? 'a USB reset' : describeRequest(next)}`);
      }
    },
  };
}
