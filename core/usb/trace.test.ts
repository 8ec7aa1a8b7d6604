import { VirtualClock } from '../clock.js';
import { SimulatedDevice } from '../simulator/device.js';
import { profiles } from '../simulator/profiles.js';
import { describeDevice } from './descriptors.js';
import { formatTrace, parseTrace, parseTraceText, rawDescriptorsOf, redactSerial, REDACTED_SERIAL, summaryOf, TraceFormatError, traceDescriptorsOf, type UsbTrace } from './trace.js';

const f405Descriptors = () => new SimulatedDevice({ profile: profiles.stm32f405!, clock: new VirtualClock() }).open().descriptors;

function baseTrace(): Record<string, unknown> {
  const descriptors = traceDescriptorsOf(f405Descriptors());
  return {
    format: 'dfu-desk-usb-trace',
    version: 1,
    source: 'hand-written',
    device: { vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, serialNumber: '346A386B3437', interfaceNumber: 0, descriptors },
    entries: [
      { kind: 'control', bmRequestType: 0xa1, bRequest: 3, wValue: 0, wIndex: 0, wLength: 6, reply: '000000000200', status: 'ok', sincePreviousMs: 0, durationMs: 0.1 },
      { kind: 'control', bmRequestType: 0x21, bRequest: 1, wValue: 0, wIndex: 0, wLength: 5, dataOut: '2100000008', status: 'ok', sincePreviousMs: 0.5 },
      { kind: 'control', bmRequestType: 0xa1, bRequest: 3, wValue: 0, wIndex: 0, wLength: 6, status: 'error', errno: 'EPROTO', sincePreviousMs: 0.2 },
      { kind: 'reset', status: 'disconnected', sincePreviousMs: 3 },
    ],
  };
}

function withEntry(index: number, patch: Record<string, unknown>): Record<string, unknown> {
  const trace = baseTrace();
  const entries = [...(trace.entries as Record<string, unknown>[])];
  entries[index] = { ...entries[index], ...patch };
  return { ...trace, entries };
}

function errorOf(value: unknown): TraceFormatError {
  try {
    parseTrace(value);
  } catch (error) {
    if (error instanceof TraceFormatError) return error;
    throw error;
  }
  throw new Error('parsed');
}

describe('USB trace format', () => {
  it('parses a well-formed trace and round-trips through its text', () => {
    const trace = parseTrace(baseTrace());
    expect(trace.entries).toHaveLength(4);
    expect(trace.entries[2]).toMatchObject({ status: 'error', errno: 'EPROTO' });
    const text = formatTrace(trace);
    expect(text.split('\n').filter((line) => line.includes('"kind"'))).toHaveLength(4); // one entry per line
    expect(parseTraceText(text)).toEqual(trace);
  });

  it('carries the descriptors: describeDevice sees the same device', () => {
    const trace = parseTrace(baseTrace());
    const raw = f405Descriptors();
    const opened = (descriptors: typeof raw) => ({ summary: summaryOf(trace), descriptors, interfaceNumber: 0, transport: undefined as never });
    expect(describeDevice(opened(rawDescriptorsOf(trace.device.descriptors)))).toEqual(describeDevice(opened(raw)));
  });

  it.each([
    ['a wrong format name', { ...baseTrace(), format: 'pcap' }, undefined, 'format'],
    ['a later version', { ...baseTrace(), version: 2 }, undefined, 'version'],
    ['a short device descriptor', { ...baseTrace(), device: { ...(baseTrace().device as object), descriptors: { device: '1201', configuration: '09020900010100c032', strings: {} } } }, undefined, 'device.descriptors.device'],
    ['wValue out of range', withEntry(1, { wValue: 0x10000 }), 1, 'wValue'],
    ['an unknown status', withEntry(0, { status: 'nak' }), 0, 'status'],
    ['an error without errno', withEntry(2, { errno: undefined }), 2, 'errno'],
    ['errno on a stall', withEntry(2, { status: 'stall' }), 2, 'errno'],
    ['odd hex', withEntry(0, { reply: '00000' }), 0, 'reply'],
    ['data that is not wLength long', withEntry(1, { dataOut: '21000000' }), 1, 'dataOut'],
    ['a reply on an OUT request', withEntry(1, { reply: '00' }), 1, 'reply'],
    ['an OUT request without its data', withEntry(1, { dataOut: undefined }), 1, 'dataOut'],
    ['a successful IN request without its reply', withEntry(0, { reply: undefined }), 0, 'reply'],
    ['a negative time', withEntry(3, { sincePreviousMs: -1 }), 3, 'sincePreviousMs'],
    ['an unknown kind', withEntry(3, { kind: 'bulk' }), 3, 'kind'],
    ['capturedFrom shorter than what was captured', withEntry(0, { capturedFrom: 4 }), 0, 'capturedFrom'],
  ])('refuses %s, naming the entry and the field', (_what, value, entry, field) => {
    const error = errorOf(value);
    expect(error.entry).toBe(entry);
    expect(error.field).toBe(field);
    expect(error.message.startsWith(entry === undefined ? `trace: ${field} ` : `trace entry ${entry}: ${field} `)).toBe(true);
  });

  it('accepts data the capture cut short when capturedFrom says how long it was', () => {
    const trace = parseTrace(withEntry(1, { wLength: 2048, dataOut: '00'.repeat(32), capturedFrom: 2048, wValue: 2 }));
    expect(trace.entries[1]).toMatchObject({ capturedFrom: 2048 });
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseTraceText('{"format":')).toThrow(/^trace: trace is not JSON/);
  });

  it('redactSerial removes the serial number from the summary and the string descriptors', () => {
    const trace = parseTrace(baseTrace());
    const serialIndex = 3; // iSerialNumber of the simulator's profiles
    expect(Object.values(trace.device.descriptors.strings)).toContain('346A386B3437');
    const redacted: UsbTrace = redactSerial(trace);
    expect(redacted.device.serialNumber).toBeUndefined();
    expect(JSON.stringify(redacted)).not.toContain('346A386B3437');
    expect(redacted.device.descriptors.strings[String(serialIndex)]).toBe(REDACTED_SERIAL);
    expect(parseTrace(JSON.parse(formatTrace(redacted)))).toEqual(redacted);
  });
});
