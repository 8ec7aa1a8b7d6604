// The data-loss question, asked only when there is data to lose: the job layer reads the bytes
// outside the image in each partly covered sector (one read per head or tail) and plans again.
import { VirtualClock } from '../clock.js';
import { formatPlan } from '../dfuse/plan.js';
import { DfuseSession } from '../dfuse/session.js';
import { writeIntelHex } from '../image/intelHex.js';
import { MemoryImage } from '../image/memoryImage.js';
import { SimulatedDevice } from '../simulator/device.js';
import { profiles, type SimulatorProfile } from '../simulator/profiles.js';
import { describeDevice, type DeviceInfo } from '../usb/descriptors.js';
import { partialSectorProbes, prepareFlash, probePartialSectors, runFlash } from './flashJob.js';
import { flashPhases } from './jobPhases.js';

function firmware(length: number, seed = 3): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = 1 + ((x >>> 16) % 254);
  }
  return out;
}

async function rig(profile: SimulatorProfile) {
  const clock = new VirtualClock();
  const device = new SimulatedDevice({ profile, clock });
  // The simulator starts with an old application in flash: these tests start from a blank chip.
  device.memory(0).fill(profile.id.startsWith('stm32l0') || profile.id.startsWith('stm32l1') ? 0x00 : 0xff);
  const session = await DfuseSession.open(device.open(), { clock });
  const reads: { alternate: number; start: number; end: number }[] = [];
  const read = session.read.bind(session);
  session.read = (alternate, range, call) => {
    reads.push({ alternate, start: range.start, end: range.end });
    return read(alternate, range, call);
  };
  return { device, session, reads };
}

/** A second session on the same simulated board (a fresh one knows nothing of it yet). */
async function rigSession(device: SimulatedDevice) {
  return DfuseSession.open(device.open(), { clock: new VirtualClock() });
}

function hexSource(image: MemoryImage) {
  return { fileName: 'app.hex', bytes: new TextEncoder().encode(writeIntelHex(image)) };
}

const touched = { erase: 'touched' as const, verify: true };

/** An L073 as its descriptors describe it, before any register read. */
function l073Described(): DeviceInfo {
  const device = new SimulatedDevice({ profile: profiles.stm32l073!, clock: new VirtualClock() });
  return describeDevice(device.open());
}

describe('partly covered sectors', () => {
  it('F405: a blank tail in sector 0 costs one read, then nothing is asked and the plan says nothing is lost', async () => {
    const { session, reads } = await rig(profiles.stm32f405!);
    const image = MemoryImage.fromBytes(0x08000000, firmware(0x100));
    const prepared = prepareFlash(session.info, { kind: 'flash', source: hexSource(image), options: touched });
    expect(prepared.plans[0]!.partialSectors).toMatchObject([{ index: 0, where: 'tail', state: 'unknown' }]);
    expect(prepared.plans[0]!.warnings.map((w) => w.kind)).toEqual(['destroys-data']);
    expect(partialSectorProbes(prepared)).toEqual([{ alternate: 0, sector: 0, range: { start: 0x08000100, end: 0x08004000 } }]);

    const probed = await probePartialSectors(session, prepared);
    expect(reads).toEqual([{ alternate: 0, start: 0x08000100, end: 0x08004000 }]);
    expect(probed.plans[0]!.partialSectors).toMatchObject([{ index: 0, state: 'blank' }]);
    expect(probed.plans[0]!.warnings).toEqual([]);
    expect(probed.warnings).toEqual([]);
    expect(formatPlan(probed.plans[0]!)).toContain('sector 0 tail is blank: nothing lost');

    // Known now: asking again reads nothing, and a plan made with what the session knows has no read step.
    await probePartialSectors(session, prepared);
    expect(reads).toHaveLength(1);
    const known = prepareFlash(session.info, { kind: 'flash', source: hexSource(image), options: touched }, session.knownContent);
    expect(known.plans[0]!.warnings).toEqual([]);
    expect(flashPhases(known).map((p) => p.phase)).toEqual(['erase', 'write', 'verify']);
  });

  it('F405: a tail that holds data keeps the warning, with the number of bytes that would be lost', async () => {
    const { device, session } = await rig(profiles.stm32f405!);
    device.memory(0).set(Uint8Array.of(0x12, 0x34, 0x56), 0x3000);
    const image = MemoryImage.fromBytes(0x08000000, firmware(0x100));
    const probed = await probePartialSectors(session, prepareFlash(session.info, { kind: 'flash', source: hexSource(image), options: touched }));
    expect(probed.plans[0]!.partialSectors).toMatchObject([{ index: 0, state: 'data', lostBytes: 3 }]);
    expect(probed.plans[0]!.warnings.map((w) => w.message)).toEqual([
      'sector 0 [0x08000000, 0x08004000) holds 3 B of data outside the image that the erase destroys (use preserve to keep them)',
    ]);
  });

  it('L073 (erased value 0x00): a head and a tail outside an image in the middle of a page are read separately and judged blank by 0x00', async () => {
    const { session, reads } = await rig(profiles.stm32l073!);
    const image = MemoryImage.fromBytes(0x08000110, firmware(0x20));
    const prepared = prepareFlash(session.info, { kind: 'flash', source: hexSource(image), options: touched });
    const probed = await probePartialSectors(session, prepared);
    expect(reads).toEqual([
      { alternate: 0, start: 0x08000100, end: 0x08000110 },
      { alternate: 0, start: 0x08000130, end: 0x08000180 },
    ]);
    expect(probed.plans[0]!.partialSectors).toMatchObject([{ index: 2, where: 'head and tail', state: 'blank' }]);
    expect(formatPlan(probed.plans[0]!)).toContain('sector 2 head and tail are blank: nothing lost');
  });

  it('preserve and mass erase read nothing extra; differential reads the whole sector anyway', async () => {
    const { session } = await rig(profiles.stm32f405!);
    const image = MemoryImage.fromBytes(0x08000000, firmware(0x100));
    const of = (options: Parameters<typeof prepareFlash>[1]['options']) => prepareFlash(session.info, { kind: 'flash', source: hexSource(image), options });
    expect(partialSectorProbes(of({ ...touched, preserve: true }))).toEqual([]);
    expect(of({ ...touched, preserve: true }).plans[0]!.partialSectors).toMatchObject([{ state: 'preserved' }]);
    expect(partialSectorProbes(of({ erase: 'mass', verify: true }))).toEqual([]);
    expect(partialSectorProbes(of({ ...touched, differential: true }))).toEqual([]);
    // A preview asks before the job's read: the tail alone is read then.
    expect(partialSectorProbes(of({ ...touched, differential: true }), { evenWhenReadFirst: true })).toEqual([{ alternate: 0, sector: 0, range: { start: 0x08000100, end: 0x08004000 } }]);
  });

  it('differential preview: a blank tail asks nothing; data in it is named as lost only if the sector differs', async () => {
    const { device, session } = await rig(profiles.stm32f405!);
    const image = MemoryImage.fromBytes(0x08000000, firmware(0x100));
    const differential = { ...touched, differential: true };
    const prepared = prepareFlash(session.info, { kind: 'flash', source: hexSource(image), options: differential });
    const blank = await probePartialSectors(session, prepared, {}, { evenWhenReadFirst: true });
    expect(blank.plans[0]!.warnings.map((w) => w.kind)).toEqual(['needs-read']);
    device.memory(0)[0x2000] = 0x5a;
    const other = await rigSession(device);
    const withData = await probePartialSectors(other, prepareFlash(other.info, { kind: 'flash', source: hexSource(image), options: differential }), {}, { evenWhenReadFirst: true });
    expect(withData.plans[0]!.warnings.find((w) => w.kind === 'destroys-data')?.message).toBe(
      'sector 0 [0x08000000, 0x08004000) (if it differs from the image) holds 1 B of data outside the image that the erase destroys (use preserve to keep them)',
    );
  });

  it('never reads where the flash may not exist: an L072xB-sized image reaching past 128 KiB without a known size', () => {
    // The L073 descriptor (also sent by the 128 KiB L072xB) without F_SIZE or a saved size: the
    // plan warns the flash may end at 0x08020000; the sector there stays unknown and is asked about.
    const info = { ...l073Described(), flashSizeBytes: undefined };
    const image = MemoryImage.fromBytes(0x08000000, firmware(0x20040));
    const prepared = prepareFlash(info, { kind: 'flash', source: hexSource(image), options: touched });
    expect(prepared.plans[0]!.warnings.map((w) => w.kind)).toContain('flash-overstated');
    expect(partialSectorProbes(prepared, { evenWhenReadFirst: true })).toEqual([]);
    expect(prepared.plans[0]!.partialSectors).toMatchObject([{ index: 1024, state: 'unknown' }]);
  });

  it('runFlash reads the tail first, announces that read, flashes, and its plans and notes say the tail was blank', async () => {
    const { device, session, reads } = await rig(profiles.stm32f405!);
    const image = MemoryImage.fromBytes(0x08000000, firmware(0x100));
    const prepared = prepareFlash(session.info, { kind: 'flash', source: hexSource(image), options: touched });
    expect(flashPhases(prepared)).toEqual([
      { phase: 'read', bytes: 0x3f00 },
      { phase: 'erase', bytes: 0x4000 },
      { phase: 'write', bytes: 0x100 },
      { phase: 'verify', bytes: 0x100 },
    ]);
    const outcome = await runFlash(session, prepared, { confirmed: [] });
    expect(reads).toEqual([{ alternate: 0, start: 0x08000100, end: 0x08004000 }]);
    expect(outcome.verify?.isMatch).toBe(true);
    expect(outcome.notes).toEqual(['Internal Flash: sector 0 tail is blank: nothing lost']);
    expect(outcome.plans[0]!.warnings).toEqual([]);
    expect(device.memory(0).subarray(0, 0x100)).toEqual(firmware(0x100));
  });
});
