import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../clock.js';
import { DfuseSession } from '../dfuse/session.js';
import { parseIntelHex, writeIntelHex } from '../image/intelHex.js';
import { MemoryImage } from '../image/memoryImage.js';
import { SimulatedDevice } from '../simulator/device.js';
import { profiles } from '../simulator/profiles.js';
import { parseScenario, POLL_VARIANTS } from '../simulator/scenarios.js';
import { nonErasedBytes } from '../simulator/pseudoRandom.js';
import { describeDevice } from './descriptors.js';
import { recordTransfers } from './recordingTransport.js';
import { ReplayMismatchError, replayTrace } from './replayTransport.js';
import { formatTrace, parseTraceText, type UsbTrace } from './trace.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../testing/fixtures/traces');

/** Flash base of each profile's alt 0 and a tiny image spanning a sector boundary where there is one. */
const CASES = [
  { profile: 'stm32l073', address: 0x08000000 + 128 - 64, length: 256 },
  { profile: 'stm32f405', address: 0x08004000 - 512, length: 1024 },
  { profile: 'gd32vf103', address: 0x08000400 - 256, length: 768 },
] as const;

/** Committed fixtures: tiny images so each trace stays a few KB. */
const FIXTURE_CASES = [
  { file: 'stm32l073-program-verify-leave.trace.json', profile: 'stm32l073', address: 0x08000000, length: 256, seed: 7 },
  { file: 'stm32f405-program-verify-leave.trace.json', profile: 'stm32f405', address: 0x08004000, length: 256, seed: 8 },
  // The image as an Intel HEX file beside the trace, as a hardware capture's would be.
  { file: 'gd32vf103-program-verify-leave.trace.json', profile: 'gd32vf103', address: 0x08000300, length: 512, seed: 9, hex: 'gd32vf103-512.hex' },
] as const;

async function programVerifyLeave(opened: Parameters<typeof DfuseSession.open>[0], clock: VirtualClock, image: MemoryImage) {
  const session = await DfuseSession.open(opened, { clock });
  const result = await session.program(image, { erase: 'touched', verify: true, leave: true });
  await session.close();
  return { info: session.info, result };
}

async function record(profileId: string, image: MemoryImage, scenario?: string) {
  const clock = new VirtualClock();
  const device = new SimulatedDevice({ profile: profiles[profileId]!, clock, ...(scenario ? { scenario: parseScenario(scenario) } : {}) });
  const recording = recordTransfers(device.open(), { clock, source: `recorded from the simulator (${profileId})` });
  const run = await programVerifyLeave(recording.opened, clock, image);
  expect(device.violations).toEqual([]);
  return { ...run, trace: recording.trace(), device };
}

function imageFor(c: (typeof CASES)[number], seed = 1) {
  return MemoryImage.fromBytes(c.address, nonErasedBytes(c.length, seed));
}

describe('record and replay a DfuseSession', () => {
  it.each(CASES)('$profile: program + verify + leave replays with the same plans and verify report', async (c) => {
    const image = imageFor(c);
    const recorded = await record(c.profile, image);
    expect(recorded.result.verify?.isMatch).toBe(true);
    expect(recorded.result.hasLeft).toBe(true);
    // Every transfer is there: the simulator counted the same number.
    expect(recorded.trace.entries.length).toBe(recorded.device.stats.controlTransfers);
    // ...and the data blocks (DNLOAD wValue >= 2, reference §2) carry what the session wrote.
    const written = recorded.trace.entries.reduce((sum, e) => sum + (e.kind === 'control' && e.bRequest === 1 && e.wValue >= 2 ? (e.dataOut?.length ?? 0) / 2 : 0), 0);
    expect(written).toBe(recorded.result.bytesWritten);
    expect(written).toBeGreaterThanOrEqual(c.length);

    // Through the JSON text, as a committed trace would be.
    const trace = parseTraceText(formatTrace(recorded.trace));
    const clock = new VirtualClock();
    const replay = replayTrace(trace, { clock });
    const replayed = await programVerifyLeave(replay.opened, clock, image);
    replay.assertComplete();
    // The same device description; only the bus id and path say it is a replay.
    expect({ ...replayed.info, id: '', path: '' }).toEqual({ ...recorded.info, id: '', path: '' });
    expect(replayed.result.plans).toEqual(recorded.result.plans);
    expect(replayed.result.verify).toEqual(recorded.result.verify);
    expect(replayed.result.bytesWritten).toBe(recorded.result.bytesWritten);
    expect(replayed.result.hasLeft).toBe(true);
    // Transfer durations are replayed on the clock, so the host's view of time matches.
    expect(replayed.result.elapsedMs).toBeCloseTo(recorded.result.elapsedMs, 0);
  });

  it.each([...POLL_VARIANTS, 'pollStall', 'pollFlaky:2'])('stm32l476 under %s: STALLs and I/O errors while busy are recorded and replayed as such', async (variant) => {
    const image = MemoryImage.fromBytes(0x08000000, nonErasedBytes(4096, 5));
    const recorded = await record('stm32l476', image, variant);
    expect(recorded.result.verify?.isMatch).toBe(true);
    const failures = recorded.trace.entries.filter((e) => e.status !== 'ok').map((e) => `${e.status}${e.errno ? ` ${e.errno}` : ''}`);
    expect(recorded.trace.entries.filter((e) => e.status === 'stall').length).toBe(recorded.device.stats.stalls);
    const clock = new VirtualClock();
    const replay = replayTrace(parseTraceText(formatTrace(recorded.trace)), { clock });
    const replayed = await programVerifyLeave(replay.opened, clock, image);
    replay.assertComplete();
    expect(replayed.result.plans).toEqual(recorded.result.plans);
    expect(replayed.result.verify).toEqual(recorded.result.verify);
    if (variant === 'pollStall') expect(new Set(failures)).toEqual(new Set(['stall']));
    if (variant.startsWith('pollFlaky')) {
      expect(failures.length).toBeGreaterThan(0);
      for (const failure of failures) expect(['stall', 'error EPROTO']).toContain(failure);
    }
    // Seed 2 gives both kinds (seed 1 only STALLs): EPROTO comes back from the replay as the I/O error it was.
    if (variant === 'pollFlaky:2') expect(new Set(failures)).toEqual(new Set(['stall', 'error EPROTO']));
  });

  it('a host that sends a different image fails, naming the trace entry and the first differing byte', async () => {
    const c = CASES[1];
    const recorded = await record(c.profile, imageFor(c, 1));
    const clock = new VirtualClock();
    const replay = replayTrace(recorded.trace, { clock });
    const other = imageFor(c, 2);
    const failure = await programVerifyLeave(replay.opened, clock, other).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeDefined();
    const mismatch = replay.mismatch!;
    expect(mismatch).toBeInstanceOf(ReplayMismatchError);
    const entry = recorded.trace.entries[mismatch.entry]!;
    expect(entry.kind === 'control' && entry.bRequest).toBe(1); // a DNLOAD of image data
    expect(mismatch.message).toMatch(new RegExp(`^trace entry ${mismatch.entry}: the host sent DNLOAD wValue \\d+ wIndex 0 wLength \\d+ with .*the trace holds DNLOAD .*: the data differ first at byte \\d+`));
    expect(String((failure as Error).message)).toContain(`trace entry ${mismatch.entry}`);
    expect(() => replay.assertComplete()).toThrow(mismatch.message);
  });

  it('a host that stops early or goes on after the end is told so', async () => {
    const c = CASES[0];
    const recorded = await record(c.profile, imageFor(c));
    const clock = new VirtualClock();
    const short = replayTrace({ ...recorded.trace, entries: recorded.trace.entries.slice(0, 5) }, { clock });
    await expect(programVerifyLeave(short.opened, clock, imageFor(c))).rejects.toThrow(/trace \(5 entries, recorded from the simulator \(stm32l073\)\) has ended, but the host sent/);
    const long = replayTrace(recorded.trace, { clock });
    await DfuseSession.open(long.opened, { clock });
    expect(() => long.assertComplete()).toThrow(new RegExp(`the host stopped after ${long.position} of ${recorded.trace.entries.length} trace entries`));
  });

  it('replays failures as the transport failures they were, and the descriptors describe the same device', async () => {
    const c = CASES[0];
    const recorded = await record(c.profile, imageFor(c));
    const first = recorded.trace.entries[0]!;
    const trace: UsbTrace = { ...recorded.trace, entries: [{ ...first, status: 'error', errno: 'EPROTO' }] };
    const replay = replayTrace(trace, { clock: new VirtualClock() });
    expect(describeDevice(replay.opened)).toEqual(describeDevice({ ...replay.opened, summary: { ...replay.opened.summary } }));
    expect(describeDevice(replay.opened).alternates.map((a) => a.descriptor)).toEqual(recorded.info.alternates.map((a) => a.descriptor));
    await expect(replay.opened.transport.controlIn(3, 0, 6)).rejects.toMatchObject({ name: 'TransferError', failure: 'io', message: expect.stringMatching(/trace entry 0: EPROTO/) });
  });
});

describe('bus resets', () => {
  it('are recorded as reset entries and replayed in their place', async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: profiles.stm32l073!, clock });
    const recording = recordTransfers(device.open(), { clock, source: 'recorded: reset' });
    const t = recording.opened.transport;
    await t.controlIn(3, 0, 6);
    const outcome = await t.reset!().then(
      () => 'ok',
      (error: unknown) => (error as { failure: string }).failure,
    );
    const trace = recording.trace();
    expect(trace.entries.map((e) => e.kind)).toEqual(['control', 'reset']);
    expect(trace.entries[1]!.status).toBe(outcome === 'ok' ? 'ok' : outcome);

    const replay = replayTrace(parseTraceText(formatTrace(trace)), { clock: new VirtualClock() });
    await expect(replay.opened.transport.controlIn(3, 0, 6)).resolves.toBeInstanceOf(Uint8Array);
    const replayed = await replay.opened.transport.reset!().then(
      () => 'ok',
      (error: unknown) => (error as { failure: string }).failure,
    );
    expect(replayed).toBe(outcome);
    replay.assertComplete();

    const wrong = replayTrace(trace, { clock: new VirtualClock() });
    await wrong.opened.transport.controlIn(3, 0, 6);
    await expect(wrong.opened.transport.controlIn(3, 0, 6)).rejects.toThrow('trace entry 1: the host sent GETSTATUS wValue 0 wIndex 0 wLength 6, the trace holds a USB reset');
  });
});

describe('committed traces (core/testing/fixtures/traces)', () => {
  const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.trace.json'));
  const load = (name: string) => parseTraceText(readFileSync(join(FIXTURES, name), 'utf8'));
  // DFU Desk's own sessions replay; other tools' captures (dfu-util) are kept for their device side
  // and only have to parse. docs/hardware.md §5.
  const replayable = files.filter((name) => /^(dfu-desk|recorded)\b/.test(load(name).source));

  it('every trace parses, and at least one replays', () => {
    for (const name of files) expect(() => load(name), name).not.toThrow();
    expect(replayable.length).toBeGreaterThan(0);
  });

  it.each(replayable)('%s replays: program + verify + leave of the image its source names', async (name) => {
    const trace = load(name);
    // "image 0x08003e00 1024 bytes seed 7" (nonErasedBytes) or "image file.hex" next to the trace.
    const seeded = /image (0x[0-9a-f]+) (\d+) bytes seed (\d+)/.exec(trace.source);
    const file = /image ([\w.-]+\.hex)\b/.exec(trace.source);
    expect(seeded ?? file, `${name}: its source names the image`).not.toBeNull();
    const image = seeded
      ? MemoryImage.fromBytes(Number(seeded[1]), nonErasedBytes(Number(seeded[2]), Number(seeded[3])))
      : parseIntelHex(readFileSync(join(FIXTURES, file![1]!), 'utf8')).image;
    const clock = new VirtualClock();
    const replay = replayTrace(trace, { clock });
    const { result } = await programVerifyLeave(replay.opened, clock, image);
    replay.assertComplete();
    expect(result.verify?.isMatch).toBe(true);
    expect(result.hasLeft).toBe(true);
  });
});

// Regenerates the simulator-recorded fixtures: UPDATE_TRACE_FIXTURES=1 npx vitest run core/usb/replayTransport.test.ts
describe.runIf(process.env.UPDATE_TRACE_FIXTURES === '1')('write the simulator fixtures', () => {
  it.each(FIXTURE_CASES)('$file', async (c) => {
    const image = MemoryImage.fromBytes(c.address, nonErasedBytes(c.length, c.seed));
    const { trace } = await record(c.profile, image);
    const hex = 'hex' in c ? c.hex : undefined;
    const named = hex ? `image ${hex}` : `image 0x${c.address.toString(16).padStart(8, '0')} ${c.length} bytes seed ${c.seed}`;
    if (hex) writeFileSync(join(FIXTURES, hex), writeIntelHex(image));
    const source = `recorded from the simulator (${c.profile}): DfuseSession program erase touched, verify, leave; ${named}`;
    writeFileSync(join(FIXTURES, c.file), formatTrace({ ...trace, source }));
  });
});
