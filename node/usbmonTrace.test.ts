import { VirtualClock } from '../core/clock.js';
import { DfuseSession } from '../core/dfuse/session.js';
import { MemoryImage } from '../core/image/memoryImage.js';
import { SimulatedDevice } from '../core/simulator/device.js';
import { profiles } from '../core/simulator/profiles.js';
import { nonErasedBytes } from '../core/simulator/pseudoRandom.js';
import { describeDevice } from '../core/usb/descriptors.js';
import { recordTransfers } from '../core/usb/recordingTransport.js';
import { replayTrace } from '../core/usb/replayTransport.js';
import { hexBytes, REDACTED_SERIAL, type UsbTrace } from '../core/usb/trace.js';
import { UsbmonFormatError, usbmonToTrace } from './usbmonTrace.js';

// A hand-written excerpt in the "1u" text format of Linux Documentation/usb/usbmon.rst ("Raw text
// data format"): URB tag, timestamp (µs), event type, address word Ct:bus:device:endpoint, then the
// setup tag 's' and bmRequestType bRequest wValue wIndex wLength for a control submission or the
// URB status for a callback, the data length, the data tag ('=' data follows, '<' / '>' none) and
// the data in hex words of up to 4 bytes. Statuses: 0 ok, -32 EPIPE (stall), -71 EPROTO.
// Device 3:012 is an STM32F405 ROM (descriptor bytes as the simulator's stm32f405 profile builds
// them); device 3:002 is a keyboard on the same bus and 3:001 the root hub, both left out.
const F405_DEVICE_DESCRIPTOR = '12010002 00000040 830411df 00220102 0301';
const EXCERPT = `ffff9a4c81e3f000 1000000000 S Ci:3:012:0 s 80 06 0100 0000 0012 18 <
ffff9a4c81e3f000 1000000180 C Ci:3:012:0 0 18 = ${F405_DEVICE_DESCRIPTOR}
ffff9a4c81e3f000 1000000300 S Ci:3:012:0 s 80 06 0303 0409 00ff 255 <
ffff9a4c81e3f000 1000000450 C Ci:3:012:0 0 26 = 1a033300 34003600 41003300 38003600 42003300 34003300 3700
ffff9a4c81e3f0c0 1000000600 S Ii:3:002:1 -115:8 8 <
ffff9a4c81e3f000 1000001000 S Ci:3:012:0 s a1 03 0000 0000 0006 6 <
ffff9a4c81e3f000 1000001200 C Ci:3:012:0 0 6 = 0a000000 0a00
ffff9a4c81e3f000 1000001400 S Co:3:012:0 s 21 04 0000 0000 0000 0
ffff9a4c81e3f000 1000001500 C Co:3:012:0 0 0
ffff9a4c81e3f000 1000001600 S Co:3:012:0 s 01 0b 0000 0000 0000 0
ffff9a4c81e3f000 1000001700 C Co:3:012:0 0 0
ffff9a4c81e3f000 1000002000 S Co:3:012:0 s 21 01 0000 0000 0005 5 = 21004000 08
ffff9a4c81e3f000 1000002100 C Co:3:012:0 0 5 >
ffff9a4c81e3f000 1000002200 S Ci:3:012:0 s a1 03 0000 0000 0006 6 <
ffff9a4c81e3f000 1000002240 C Ci:3:012:0 -71 0
ffff9a4c81e3f000 1000002500 S Ci:3:012:0 s a1 03 0000 0000 0006 6 <
ffff9a4c81e3f000 1000002540 C Ci:3:012:0 -32 0
ffff9a4c81e3f000 1000003000 S Co:3:012:0 s 21 01 0002 0000 0800 2048 = 00500020 29c30008 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff
ffff9a4c81e3f000 1000003900 C Co:3:012:0 0 2048 >
ffff9a4c81e3f0c0 1000004000 C Ii:3:002:1 0:8 8 = 00000400 00000000
ffff9a4c81e3e000 1000004100 S Ci:3:001:0 s a3 00 0000 0001 0004 4 <
ffff9a4c81e3e000 1000004110 C Ci:3:001:0 0 4 = 03010000
ffff9a4c81e3f000 1000005000 S Ci:3:012:0 s a1 02 0002 0000 0800 2048 <
ffff9a4c81e3f000 1000005800 C Ci:3:012:0 0 2048 = 00500020 29c30008 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff
`;
// The F405's configuration descriptor (54 bytes) as the sysfs "descriptors" file would give it
// after the device descriptor; the kernel text would have cut its GET_DESCRIPTOR reply at 32 bytes.
const F405_CONFIGURATION = '09023600010100c0320904000000fe0102040904000100fe0102050904000200fe0102060904000300fe01020709210bff0000081a01';

describe('usbmon text capture to trace', () => {
  const convert = () =>
    usbmonToTrace(EXCERPT, { source: 'usbmon: hand-written excerpt', descriptorsHex: F405_DEVICE_DESCRIPTOR.replace(/ /g, '') + F405_CONFIGURATION, strings: { '4': '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg' } });

  it('keeps the DFU requests and SET_INTERFACE of the DFU device, in order, with status, errno and timing', () => {
    const { trace, skipped, truncated } = convert();
    expect(trace.entries.map((e) => (e.kind === 'control' ? [e.bmRequestType, e.bRequest, e.wValue, e.status, e.errno ?? null] : null))).toEqual([
      [0xa1, 3, 0, 'ok', null],
      [0x21, 4, 0, 'ok', null],
      [0x01, 11, 0, 'ok', null],
      [0x21, 1, 0, 'ok', null],
      [0xa1, 3, 0, 'error', 'EPROTO'],
      [0xa1, 3, 0, 'stall', null],
      [0x21, 1, 2, 'ok', null],
      [0xa1, 2, 2, 'ok', null],
    ]);
    expect(skipped).toEqual({ '0x80/6': 2 }); // the descriptor reads; the keyboard and the hub are other devices
    expect(trace.entries[0]).toMatchObject({ reply: '0a0000000a00', sincePreviousMs: 0, durationMs: 0.2 });
    expect(trace.entries[3]).toMatchObject({ dataOut: '2100400008', wLength: 5, sincePreviousMs: 0.4, durationMs: 0.1 });
    expect(trace.entries[4]).toMatchObject({ durationMs: 0.04 });
    // 2048-byte blocks: the kernel text kept 32 bytes; the trace says so.
    expect(truncated).toBe(2);
    expect(trace.entries[6]).toMatchObject({ wLength: 2048, capturedFrom: 2048 });
    expect(hexBytes((trace.entries[6] as { dataOut: string }).dataOut)!.length).toBe(32);
    expect(trace.entries[7]).toMatchObject({ capturedFrom: 2048 });
  });

  it('takes the descriptors from sysfs bytes and the capture, and redacts the serial number', () => {
    const { trace } = convert();
    expect(trace.device).toMatchObject({ vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, interfaceNumber: 0 });
    expect(trace.device.serialNumber).toBeUndefined();
    expect(trace.device.descriptors.strings['3']).toBe(REDACTED_SERIAL);
    expect(JSON.stringify(trace)).not.toContain('346A386B3437');
    const replay = replayTrace(trace, { clock: new VirtualClock() });
    const info = describeDevice(replay.opened);
    expect(info.alternates[0]?.descriptor).toBe('@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg');
    expect(usbmonToTrace(EXCERPT, { source: 'x', descriptorsHex: F405_DEVICE_DESCRIPTOR.replace(/ /g, '') + F405_CONFIGURATION, keepSerial: true }).trace.device.serialNumber).toBe('346A386B3437');
  });

  it('replays what it can and stops, naming the entry, where the capture cut a reply short', async () => {
    const { trace } = convert();
    const replay = replayTrace(trace, { clock: new VirtualClock() });
    const t = replay.opened.transport;
    expect(await t.controlIn(3, 0, 6)).toEqual(Uint8Array.of(0x0a, 0, 0, 0, 0x0a, 0));
    await t.controlOut(4, 0);
    await t.selectAlternate(0);
    await t.controlOut(1, 0, Uint8Array.of(0x21, 0x00, 0x40, 0x00, 0x08));
    await expect(t.controlIn(3, 0, 6)).rejects.toMatchObject({ failure: 'io', message: expect.stringContaining('EPROTO') });
    await expect(t.controlIn(3, 0, 6)).rejects.toMatchObject({ failure: 'stall' });
    // The block is compared on the 32 bytes the capture kept.
    const block = new Uint8Array(2048).fill(0xff);
    block.set(hexBytes('0050002029c30008')!);
    await t.controlOut(1, 2, block);
    await expect(t.controlIn(2, 2, 2048)).rejects.toThrow(/trace entry 7: the capture kept only 32 of the 2048 reply bytes of UPLOAD/);
  });

  it('reads the older 1t format too (address word without the bus: Ci:012:0)', () => {
    const oneT = EXCERPT.replace(/ ([CI][io]):3:(\d{3}):/g, ' $1:$2:');
    expect(oneT).toContain(' S Ci:012:0 s a1 03');
    const options = { source: 'x', descriptorsHex: F405_DEVICE_DESCRIPTOR.replace(/ /g, '') + F405_CONFIGURATION };
    expect(usbmonToTrace(oneT, options).trace.entries).toEqual(usbmonToTrace(EXCERPT, options).trace.entries);
    expect(usbmonToTrace(oneT, { ...options, device: '012' }).trace.entries).toHaveLength(8);
    expect(usbmonToTrace(EXCERPT, { ...options, device: '3:012' }).trace.entries).toHaveLength(8);
    expect(() => usbmonToTrace(EXCERPT, { ...options, device: '3:1' })).toThrow(/device 3:1 gets no DFU class request/);
    expect(() => usbmonToTrace(EXCERPT, { ...options, device: '3:2' })).toThrow(/no control transfer to device 3:2/);
  });

  it('a submission error (E) and a killed URB (-2 ENOENT, libusb cancelling at its timeout) become disconnected and timeout', () => {
    const tail = `ffff9a4c81e3f000 1000007000 S Ci:3:012:0 s a1 03 0000 0000 0006 6 <
ffff9a4c81e3f000 1005007000 C Ci:3:012:0 -2 0
ffff9a4c81e3f000 1005008000 S Ci:3:012:0 s a1 03 0000 0000 0006 6 <
ffff9a4c81e3f000 1005008010 E Ci:3:012:0 -19
`;
    const { trace } = usbmonToTrace(EXCERPT + tail, { source: 'x', descriptorsHex: F405_DEVICE_DESCRIPTOR.replace(/ /g, '') + F405_CONFIGURATION });
    expect(trace.entries.slice(-2)).toMatchObject([
      { status: 'timeout', durationMs: 5000 },
      { status: 'disconnected', sincePreviousMs: 5001, durationMs: 0.01 },
    ]);
  });

  it('refuses malformed lines, naming the line', () => {
    const bad = (text: string) => () => usbmonToTrace(text, { source: 'x' });
    expect(bad('ffff 1000 X Ci:3:012:0 s a1 03 0000 0000 0006 6 <')).toThrow(new UsbmonFormatError(1, 'the event type must be S, C or E, not "X"'));
    expect(bad(`${EXCERPT}ffff 1000 S Ci:3:012:0 s zz 03 0000 0000 0006 6 <\n`)).toThrow(/^usbmon line 25: bmRequestType must be a hex number, not "zz"/);
    expect(bad('ffff 1000 S Ci:3:012:0:1 s a1 03 0000 0000 0006 6 <')).toThrow(/^usbmon line 1: the address word/);
    expect(bad('ffff 1000 S Ci:3:012:0 s a1 03 0000 0000 0006 6 = 0a0000000a00')).toThrow(/^usbmon line 1: data words must be hex of up to 4 bytes/);
    expect(bad('ffff 1000 S Ci:3:012:0 -115 6 <')).toThrow(/setup tag 's'/);
    expect(() => usbmonToTrace(EXCERPT, { source: 'x' })).toThrow(/no complete configuration descriptor reply .*give the sysfs "descriptors" file/);
    expect(() => usbmonToTrace(EXCERPT.split('\n').slice(4, 5).join('\n'), { source: 'x' })).toThrow(/no DFU class request/);
  });
});

/** Writes a trace as the usbmon utility's "1u" text would show the session (data not cut). */
function usbmonTextOf(trace: UsbTrace): string {
  const words = (hex: string) => (hex.match(/.{1,8}/g) ?? []).join(' ');
  const dev = trace.device.descriptors;
  const lines: string[] = [];
  let at = 500_000_000;
  const push = (setup: number[], dataOut: string | undefined, code: number, reply: string | undefined, replyLength: number, duration: number) => {
    const tag = 'ffff9a4c81e3f000';
    const isIn = (setup[0]! & 0x80) !== 0;
    const s = `s ${setup[0]!.toString(16).padStart(2, '0')} ${setup[1]!.toString(16).padStart(2, '0')} ${setup.slice(2).map((n) => n.toString(16).padStart(4, '0')).join(' ')}`;
    lines.push(`${tag} ${Math.round(at)} S C${isIn ? 'i' : 'o'}:3:012:0 ${s} ${setup[4]}${isIn ? ' <' : dataOut ? ` = ${words(dataOut)}` : ''}`);
    lines.push(`${tag} ${Math.round(at + duration)} C C${isIn ? 'i' : 'o'}:3:012:0 ${code} ${replyLength}${isIn ? (reply ? ` = ${words(reply)}` : '') : replyLength ? ' >' : ''}`);
  };
  push([0x80, 6, 0x0100, 0, 18], undefined, 0, dev.device, 18, 100);
  push([0x80, 6, 0x0200, 0, 255], undefined, 0, dev.configuration, dev.configuration.length / 2, 100);
  for (const [index, raw] of Object.entries(dev.rawStrings ?? {})) push([0x80, 6, 0x0300 | Number(index), 0x0409, 255], undefined, 0, raw, raw.length / 2, 100);
  for (const entry of trace.entries) {
    if (entry.kind !== 'control') continue;
    at += entry.sincePreviousMs * 1000;
    const code = { ok: 0, stall: -32, error: -71, timeout: -2, disconnected: -19 }[entry.status];
    const replyLength = (entry.reply ?? entry.dataOut ?? '').length / 2;
    push([entry.bmRequestType, entry.bRequest, entry.wValue, entry.wIndex, entry.wLength], entry.dataOut, code, entry.reply, entry.status === 'ok' ? replyLength : 0, (entry.durationMs ?? 0) * 1000);
  }
  return `${lines.join('\n')}\n`;
}

describe('a whole session through usbmon text', () => {
  it('stm32f405: recorded, written as usbmon 1u text, converted back, replays program + verify + leave', async () => {
    const image = MemoryImage.fromBytes(0x08004000 - 256, nonErasedBytes(512, 3));
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: profiles.stm32f405!, clock });
    const recording = recordTransfers(device.open(), { clock, source: 'simulator' });
    const session = await DfuseSession.open(recording.opened, { clock });
    const recorded = await session.program(image, { erase: 'touched', verify: true, leave: true });

    const { trace, truncated } = usbmonToTrace(usbmonTextOf(recording.trace()), { source: 'dfu-desk via usbmon (round trip)' });
    expect(truncated).toBe(0);
    expect(trace.entries.length).toBe(recording.trace().entries.length);
    const replayClock = new VirtualClock();
    const replay = replayTrace(trace, { clock: replayClock });
    const replayed = await (await DfuseSession.open(replay.opened, { clock: replayClock })).program(image, { erase: 'touched', verify: true, leave: true });
    replay.assertComplete();
    expect(replayed.plans).toEqual(recorded.plans);
    expect(replayed.verify).toEqual(recorded.verify);
  });
});
