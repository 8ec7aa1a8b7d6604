// The write policy as invariants, checked on every simulator profile and fault scenario with random
// images (fast-check): whatever a front end asks for, through the job layer both of them call,
//   1. option bytes change only with 'write-option-bytes' (and RDP level 2 only with 'permanent-lock'),
//      OTP only with 'write-otp', and a missing confirmation stops the job before any USB request;
//   2. no byte changes outside the descriptor-writable segments the plan erases or writes, alignment
//      padding included;
//   3. no leave request (zero-length DNLOAD) after a failed phase or a verification mismatch.
// A seeded property run per profile and scenario keeps failures reproducible (the seed is printed).
import fc from 'fast-check';
import { DFU_DNLOAD } from '../dfu/spec.js';
import { decodeOptionBytes } from '../dfuse/optionBytes.js';
import { regionRange, segmentAt, type MemoryRegion } from '../dfuse/memoryLayout.js';
import type { ProgramOptions } from '../dfuse/plan.js';
import { DfuseSession } from '../dfuse/session.js';
import { isDfuError, type ConfirmationKind } from '../errors.js';
import { writeIntelHex } from '../image/intelHex.js';
import { MemoryImage, type AddressRange, type Block } from '../image/memoryImage.js';
import { VirtualClock } from '../clock.js';
import { SimulatedDevice } from '../simulator/device.js';
import { profiles, type SimulatorProfile } from '../simulator/profiles.js';
import { parseScenario, scenarios } from '../simulator/scenarios.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import type { OpenedDevice } from '../usb/transport.js';
import { missingConfirmations } from './confirmations.js';
import { prepareFlash, runFlash, type FlashPreparation } from './flashJob.js';

const ALL_CONFIRMATIONS: readonly ConfirmationKind[] = ['permanent-lock', 'read-unprotect', 'write-option-bytes', 'write-otp', 'file-for-other-device'];

interface Rig {
  readonly clock: VirtualClock;
  readonly device: SimulatedDevice;
  readonly opened: OpenedDevice;
  /** USB requests and zero-length DNLOADs (leave requests) seen so far. */
  readonly counts: { requests: number; leaves: number };
}

function rig(profile: SimulatorProfile, scenario: string): Rig {
  const clock = new VirtualClock();
  const device = new SimulatedDevice({ profile, scenario: parseScenario(scenario), clock });
  const opened = device.open();
  const counts = { requests: 0, leaves: 0 };
  const transport = opened.transport;
  const spied: OpenedDevice = {
    ...opened,
    transport: {
      controlIn: (request, value, length) => {
        counts.requests++;
        return transport.controlIn(request, value, length);
      },
      controlOut: (request, value, data) => {
        counts.requests++;
        if (request === DFU_DNLOAD && (data?.length ?? 0) === 0) counts.leaves++;
        return transport.controlOut(request, value, data);
      },
      selectAlternate: (alternate) => transport.selectAlternate(alternate),
      close: () => transport.close(),
    },
  };
  return { clock, device, opened: spied, counts };
}

/** What each alt setting holds, to find every byte that changed. */
function snapshot(device: SimulatedDevice): Uint8Array[] {
  return device.profile.alternates.map((_, alternate) => device.memory(alternate).slice());
}

function changedRanges(device: SimulatedDevice, before: readonly Uint8Array[]): { alternate: number; address: number }[] {
  const changed: { alternate: number; address: number }[] = [];
  device.profile.alternates.forEach((alt, index) => {
    const now = device.memory(index);
    const start = alt.memory.segments[0]!.start;
    for (let i = 0; i < now.length; i++) if (now[i] !== before[index]![i]) changed.push({ alternate: index, address: start + i });
  });
  return changed;
}

const within = (ranges: readonly AddressRange[], address: number) => ranges.some((r) => address >= r.start && address < r.end);

/** One block of random bytes somewhere in a region of the device (any role: flash, EEPROM, OTP, option bytes...). */
function blockArbitrary(info: DeviceInfo): fc.Arbitrary<Block> {
  const segments = info.alternates.flatMap((alt) => (alt.layout ? alt.layout.region.segments.map((segment) => ({ alt, segment })) : []));
  return fc
    .record({
      pick: fc.nat({ max: segments.length - 1 }),
      offset: fc.nat(),
      length: fc.integer({ min: 1, max: 700 }),
      whole: fc.boolean(),
      seed: fc.nat(),
    })
    .map(({ pick, offset, length, whole, seed }) => {
      const { alt, segment } = segments[pick]!;
      const size = segment.end - segment.start;
      // Option bytes: often the whole block, as a raw option-byte write needs it.
      const isWholeBlock = whole && alt.role === 'option-bytes';
      const start = isWholeBlock ? segment.start : segment.start + (offset % size);
      const count = isWholeBlock ? size : Math.min(length, segment.end - start);
      const data = new Uint8Array(count);
      for (let i = 0; i < count; i++) data[i] = (seed + i * 37 + ((seed >> 3) & 0x5a)) & 0xff || 0x5a;
      return { start, data };
    });
}

/** Non-overlapping blocks: overlapping draws are dropped. */
function imageOf(blocks: readonly Block[]): MemoryImage {
  const kept: Block[] = [];
  for (const block of blocks) {
    const end = block.start + block.data.length;
    if (kept.every((k) => end <= k.start || block.start >= k.start + k.data.length)) kept.push(block);
  }
  return MemoryImage.fromBlocks(kept);
}

const optionsArbitrary = fc.record({
  erase: fc.constantFrom('touched' as const, 'mass' as const, 'none' as const),
  verify: fc.boolean(),
  leave: fc.boolean(),
  differential: fc.boolean(),
  preserve: fc.boolean(),
});

interface Case {
  readonly image: MemoryImage;
  readonly options: ProgramOptions;
  readonly confirmed: readonly ConfirmationKind[];
}

async function checkCase(profile: SimulatorProfile, scenario: string, testCase: Case): Promise<void> {
  const { clock, device, opened, counts } = rig(profile, scenario);
  let session: DfuseSession;
  try {
    session = await DfuseSession.open(opened, { clock });
  } catch (error) {
    // errorAtConnect-style faults that a session cannot get past: nothing was written.
    expect(isDfuError(error)).toBe(true);
    return;
  }
  const before = snapshot(device);
  const source = { fileName: 'random.hex', bytes: new TextEncoder().encode(writeIntelHex(testCase.image)) };
  let prepared: FlashPreparation;
  try {
    prepared = prepareFlash(session.info, { kind: 'flash', source, options: testCase.options });
  } catch (error) {
    // Refused while planning (not writable, too large, mass erase not allowed...): a typed error, nothing sent.
    expect(isDfuError(error)).toBe(true);
    expect(changedRanges(device, before)).toEqual([]);
    return;
  }
  const missing = missingConfirmations(prepared.confirmations, testCase.confirmed);
  const requestsBefore = counts.requests;
  const leavesBefore = counts.leaves;
  let outcome: Awaited<ReturnType<typeof runFlash>> | undefined;
  let failure: unknown;
  try {
    outcome = await runFlash(session, prepared, { confirmed: testCase.confirmed });
  } catch (error) {
    failure = error;
  }

  // 1. A missing confirmation stops the job before the first request.
  if (missing.length > 0) {
    expect(failure).toMatchObject({ info: { kind: 'confirmation-required', action: missing[0]!.kind } });
    expect(counts.requests).toBe(requestsBefore);
    expect(changedRanges(device, before)).toEqual([]);
    return;
  }
  if (failure !== undefined) expect(isDfuError(failure)).toBe(true);

  // 1. Protected memory changes only with its confirmation.
  const changed = changedRanges(device, before);
  const roleOf = (alternate: number) => session.info.alternates.find((a) => a.alternate === alternate)!.role;
  if (changed.some((c) => roleOf(c.alternate) === 'otp')) expect(testCase.confirmed).toContain('write-otp');
  if (changed.some((c) => roleOf(c.alternate) === 'option-bytes')) {
    expect(testCase.confirmed).toContain('write-option-bytes');
    const block = prepared.optionBytes!;
    if (decodeOptionBytes(session.info.family, block.address, block.raw).rdpLevel === 2) expect(testCase.confirmed).toContain('permanent-lock');
  }

  // 2. Every changed byte is in a sector the plan erased or a chunk it wrote (or the confirmed
  //    option-byte block), and every chunk lies in a writable segment of its region.
  const plans = outcome?.plans ?? prepared.plans;
  const allowed: AddressRange[] = plans.flatMap((plan) => [
    ...plan.sectors.map((s) => ({ start: s.start, end: s.end })),
    ...plan.chunks.map((c) => ({ start: c.address, end: c.address + c.data.length })),
  ]);
  if (prepared.optionBytes) allowed.push({ start: prepared.optionBytes.address, end: prepared.optionBytes.address + prepared.optionBytes.raw.length });
  const outside = changed.filter((c) => !within(allowed, c.address));
  expect(outside.slice(0, 4)).toEqual([]);
  for (const plan of plans) {
    const region = session.info.alternates.find((a) => a.alternate === plan.alternate)!.layout!.region;
    for (const chunk of plan.chunks) expectWritable(region, chunk.address, chunk.address + chunk.data.length);
  }

  // 3. Leave only after every phase succeeded and the verification (if any) matched.
  const didLeave = counts.leaves > leavesBefore;
  if (didLeave) {
    expect(failure).toBeUndefined();
    expect(testCase.options.leave).toBe(true);
    expect(outcome?.verify?.isMatch ?? true).toBe(true);
    expect(outcome?.hasWrittenOptionBytes).toBe(false);
  }
  if (outcome?.verify && !outcome.verify.isMatch) expect(didLeave).toBe(false);
}

function expectWritable(region: MemoryRegion, start: number, end: number): void {
  for (let address = start; address < end; ) {
    const segment = segmentAt(region, address);
    expect(segment?.writable, `${region.name} at 0x${address.toString(16)}`).toBe(true);
    address = segment!.end;
  }
}

function caseArbitrary(info: DeviceInfo): fc.Arbitrary<Case> {
  return fc.record({
    image: fc.array(blockArbitrary(info), { minLength: 1, maxLength: 3 }).map(imageOf),
    options: optionsArbitrary,
    confirmed: fc.subarray([...ALL_CONFIRMATIONS]),
  });
}

async function infoOf(profile: SimulatorProfile): Promise<DeviceInfo> {
  const { clock, opened } = rig(profile, 'healthy');
  const session = await DfuseSession.open(opened, { clock });
  return session.info;
}

describe('write policy invariants over every simulator profile', () => {
  for (const [id, profile] of Object.entries(profiles)) {
    describe(id, () => {
      it('random images, options and confirmations (healthy device)', async () => {
        const info = await infoOf(profile);
        await fc.assert(
          fc.asyncProperty(caseArbitrary(info), (testCase) => checkCase(profile, 'healthy', testCase)),
          { numRuns: 40, seed: 0x0d15c0 + id.length },
        );
      });

      it('every fault scenario, with leave and verification asked for', async () => {
        const info = await infoOf(profile);
        for (const scenario of Object.keys(scenarios)) {
          await fc.assert(
            fc.asyncProperty(caseArbitrary(info), (testCase) => checkCase(profile, scenario, { ...testCase, options: { ...testCase.options, leave: true, verify: true } })),
            { numRuns: 3, seed: 0x5ce0 + scenario.length },
          );
        }
      });
    });
  }
});

describe('leave follows only a verified flash', () => {
  for (const [id, profile] of Object.entries(profiles)) {
    it(`${id}: a flash without erase over old firmware fails verification and sends no leave; a verified one leaves`, async () => {
      const info = await infoOf(profile);
      const flash = info.alternates.find((a) => a.role === 'flash')!.layout!.region;
      const start = regionRange(flash).start;
      const image = MemoryImage.fromBytes(start, new Uint8Array(4096).map((_, i) => (i * 29 + 3) & 0xff || 1));
      const source = { fileName: 'app.hex', bytes: new TextEncoder().encode(writeIntelHex(image)) };

      const failing = rig(profile, 'healthy');
      const session = await DfuseSession.open(failing.opened, { clock: failing.clock });
      const prepared = prepareFlash(session.info, { kind: 'flash', source, options: { erase: 'none', verify: true, leave: true } });
      const outcome = await runFlash(session, prepared, { confirmed: [] }).catch((error: unknown) => error);
      // ECC families fail the write itself (a thrown device error); the others write and mismatch.
      if (!(outcome instanceof Error)) expect(outcome).toMatchObject({ verify: { isMatch: false }, hasLeft: false });
      expect(failing.counts.leaves).toBe(0);

      const working = rig(profile, 'healthy');
      const fresh = await DfuseSession.open(working.opened, { clock: working.clock });
      const good = await runFlash(fresh, prepareFlash(fresh.info, { kind: 'flash', source, options: { erase: 'touched', verify: true, leave: true } }), { confirmed: [] });
      expect(good).toMatchObject({ verify: { isMatch: true }, hasLeft: true });
      expect(working.counts.leaves).toBe(1);
    });
  }
});

describe('odd layouts: padding never leaves the segment', () => {
  // 5 sectors of 6 bytes from 0x08000001: neither the start nor the sector size is a multiple of
  // the F4 program unit (4 bytes), so whole-unit padding would reach 0x08000000 and 0x0800001F.
  const base = profiles.stm32f405!;
  const odd: SimulatorProfile = {
    ...base,
    id: 'odd-layout',
    alternates: [
      { descriptor: '@Internal Flash  /0x08000001/5*6 g', memory: { ...base.alternates[0]!.memory, segments: [{ start: 0x08000001, sectorCount: 5, sectorSize: 6 }] } },
      ...base.alternates.slice(1),
    ],
  };

  it('plans and writes random images inside [0x08000001, 0x0800001F) without touching a byte outside it', async () => {
    const info = await infoOf(odd);
    expect(info.alternates[0]!.layout!.region.segments[0]).toMatchObject({ start: 0x08000001, end: 0x0800001f });
    const blocks = fc
      .record({ offset: fc.nat({ max: 29 }), length: fc.integer({ min: 1, max: 30 }), seed: fc.nat() })
      .map(({ offset, length, seed }) => ({ start: 0x08000001 + offset, data: new Uint8Array(Math.min(length, 30 - offset)).map((_, i) => (seed + i * 13) & 0xff || 7) }));
    await fc.assert(
      fc.asyncProperty(fc.array(blocks, { minLength: 1, maxLength: 2 }).map(imageOf), optionsArbitrary, (image, options) =>
        checkCase(odd, 'healthy', { image, options: { ...options, erase: options.erase === 'mass' ? 'touched' : options.erase }, confirmed: [] }),
      ),
      { numRuns: 60, seed: 0x0dd },
    );
  });
});
