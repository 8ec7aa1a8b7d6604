// The engine's contract, the same for the simulator and for a real board:
// - every fault ends in a typed DfuError that names what failed (never a crash or a hang);
// - the device is recoverable afterwards: a new session flashes and verifies it;
// - nothing outside the plan is ever written or erased.
// The simulator runs always (every profile x every fault scenario); real hardware only with
// DFU_HARDWARE=1, through the node-usb adapter, on the last flash sector (backed up and restored).
import type { DfuError} from '../errors.js';
import { isDfuError, stateName, type DfuErrorKind } from '../errors.js';
import { MemoryImage } from '../image/memoryImage.js';
import { VirtualClock } from '../clock.js';
import { SimulatedDevice } from '../simulator/device.js';
import { profiles } from '../simulator/profiles.js';
import { nonErasedBytes } from '../simulator/pseudoRandom.js';
import { parseScenario, scenarios } from '../simulator/scenarios.js';
import type { Clock, UsbBus } from '../usb/transport.js';
import { regionRange, sectorsIn } from './memoryLayout.js';
import { planImage, type ProgramOptions } from './plan.js';
import { DfuseSession } from './session.js';

const options: ProgramOptions = { erase: 'touched', verify: true };

type Expectation = { readonly outcome: 'success' } | { readonly outcome: 'error'; readonly kinds: readonly DfuErrorKind[]; readonly recover: 'none' | 'replug' | 'unprotect' };

/** What each named fault must lead to. A scenario missing here fails the suite: add it. */
const expectations: Readonly<Record<string, Expectation>> = {
  healthy: { outcome: 'success' },
  blank: { outcome: 'success' },
  errorAtConnect: { outcome: 'success' },
  lyingPollTimeout: { outcome: 'success' },
  'lyingPollTimeout:long': { outcome: 'success' },
  slowMassErase: { outcome: 'success' },
  strict: { outcome: 'success' },
  // H7 rev V behaviour: two CLRSTATUS release the device (early on H7, at the budget elsewhere).
  stuckBusy: { outcome: 'success' },
  stuckBusyUntilReplug: { outcome: 'error', kinds: ['timeout'], recover: 'replug' },
  readProtected: { outcome: 'error', kinds: ['read-protected'], recover: 'unprotect' },
  unplugMidWrite: { outcome: 'error', kinds: ['device-gone'], recover: 'replug' },
  unplugMidErase: { outcome: 'error', kinds: ['device-gone'], recover: 'replug' },
  unplugMidRead: { outcome: 'error', kinds: ['device-gone'], recover: 'replug' },
  'disconnectAfter:12': { outcome: 'error', kinds: ['device-gone'], recover: 'replug' },
  eraseError: { outcome: 'error', kinds: ['device-status'], recover: 'none' },
  writeError: { outcome: 'error', kinds: ['device-status'], recover: 'none' },
};

/** An image straddling the first two sectors (or pages 32..95 where sectors are tiny). */
function contractImage(session: DfuseSession, seed: number): MemoryImage {
  const flash = session.info.alternates[0]!.layout!.region;
  const start = regionRange(flash).start;
  const firstSector = flash.segments[0]!.sectorSize;
  return MemoryImage.fromBytes(start + Math.max(firstSector, 8192) - 4096, nonErasedBytes(8192, seed));
}

/** Snapshot of every alt setting's bytes, to prove nothing outside the plan changed. */
function snapshot(device: SimulatedDevice): Uint8Array[] {
  return device.profile.alternates.map((_, alternate) => device.memory(alternate).slice());
}

/** Addresses the plan may change: the sectors it erases, and its chunks where nothing is erased. */
function allowedRanges(session: DfuseSession, image: MemoryImage): { start: number; end: number }[] {
  return planImage(image, session.info, options).flatMap((plan) => [
    ...plan.sectors.map((s) => ({ start: s.start, end: s.end })),
    ...plan.chunks.map((c) => ({ start: c.address, end: c.address + c.data.length })),
  ]);
}

function changedOutside(device: SimulatedDevice, before: Uint8Array[], allowed: { start: number; end: number }[]): string[] {
  const problems: string[] = [];
  device.profile.alternates.forEach((alternate, index) => {
    const now = device.memory(index);
    const start = alternate.memory.segments[0]!.start;
    for (let i = 0; i < now.length; i++) {
      if (now[i] === before[index]![i]) continue;
      const address = start + i;
      if (!allowed.some((r) => address >= r.start && address < r.end)) {
        problems.push(`alt ${index} changed at 0x${address.toString(16)}`);
        break;
      }
    }
  });
  return problems;
}

const scenarioNames = Object.keys(expectations);

describe('engine contract against the simulator', () => {
  it('has an expectation for every named scenario', () => {
    for (const name of Object.keys(scenarios)) expect(scenarioNames).toContain(name);
  });

  for (const profileId of Object.keys(profiles)) {
    describe(profileId, () => {
      for (const scenarioName of scenarioNames) {
        it(scenarioName, async () => {
          const clock = new VirtualClock();
          const device = new SimulatedDevice({ profile: profiles[profileId]!, scenario: parseScenario(scenarioName), clock });
          const expectation = expectations[scenarioName]!;
          const before = snapshot(device);
          let allowed: { start: number; end: number }[] = [];
          let error: unknown;
          let session: DfuseSession | undefined;
          try {
            session = await DfuseSession.open(device.open(), { clock });
            const image = contractImage(session, 1);
            allowed = allowedRanges(session, image);
            const result = await session.program(image, options);
            if (!result.verify?.isMatch) throw new Error(`verification failed: ${result.verify?.diagnosis.message}`);
          } catch (caught) {
            error = caught;
          }

          if (expectation.outcome === 'success') {
            expect(error).toBeUndefined();
            expect(stateName(device.dfuState)).toBe('dfuIDLE');
          } else {
            // Every fault fires with the contract image (it needs 2+ erases, 4+ chunks, 4+ uploads).
            expect(error).toBeDefined();
            expect(isDfuError(error)).toBe(true);
            const info = (error as DfuError).info;
            expect(expectation.kinds).toContain(info.kind);
            // The error names what failed: the operation and, for device errors, the address.
            if (info.kind === 'device-status') expect(info.during).toMatch(/^(erase of sector \d+|write of \d+ bytes) at 0x[0-9A-F]{8}/);
            if (info.kind === 'timeout') expect(info.during).toMatch(/^erase of sector \d+ at 0x/);
            if (info.kind === 'device-gone') expect(info.during).toMatch(/erase|write|read|connect/);
          }
          expect(changedOutside(device, before, allowed)).toEqual([]);
          expect(device.violations).toEqual([]);

          // Recoverable: bring it back the way a user would, then a new session flashes it.
          if (expectation.outcome === 'error') {
            if (expectation.recover === 'replug') {
              if (device.isConnected && !device.isHung) device.unplug();
              device.replug();
            } else if (expectation.recover === 'unprotect') {
              await session!.readUnprotect({ iUnderstandTheFlashIsErased: true });
              clock.advance(60_000);
            }
          }
          clock.advance(5_000);
          expect(device.isConnected).toBe(true);
          const fresh = await DfuseSession.open(device.open(), { clock });
          const image = contractImage(fresh, 2);
          const recoveredBefore = snapshot(device);
          const again = await fresh.program(image, options);
          expect(again.verify?.isMatch).toBe(true);
          expect(stateName(device.dfuState)).toBe('dfuIDLE');
          expect(changedOutside(device, recoveredBefore, allowedRanges(fresh, image))).toEqual([]);
          expect(device.violations).toEqual([]);
        });
      }
    });
  }
});

/** Wall-clock time for the hardware tier (core tests may use Node globals). */
const wallClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

describe.skipIf(process.env.DFU_HARDWARE !== '1')('engine contract on real hardware (DFU_HARDWARE=1)', () => {
  it('flashes, verifies and restores the last sector of internal flash', async () => {
    // Loaded by path so core's type check does not reach into electron/ (test-only, opt-in).
    const adapterPath = '../../node/nodeUsb.js';
    const { NodeUsbBus } = (await import(/* @vite-ignore */ adapterPath)) as { NodeUsbBus: new () => UsbBus };
    const bus = new NodeUsbBus();
    const devices = await bus.list();
    const wanted = process.env.DFU_HARDWARE_DEVICE;
    const summary = wanted ? devices.find((d) => d.id === wanted || d.serialNumber === wanted || d.path === wanted) : devices[0];
    if (!summary) throw new Error(`DFU_HARDWARE=1 but no DFU device found${wanted ? ` matching ${wanted}` : ''}`);
    const session = await DfuseSession.open(await bus.open(summary.id), { clock: wallClock });
    const flash = session.info.alternates.find((a) => a.layout && /flash/i.test(a.name))!;
    const region = flash.layout!.region;
    const last = sectorsIn(region, regionRange(region)).at(-1)!;
    const backup = await session.read(flash.alternate, last);
    try {
      const image = MemoryImage.fromBytes(last.start, nonErasedBytes(Math.min(4096, last.end - last.start), 7));
      const result = await session.program(image, { ...options, alternate: flash.alternate });
      expect(result.verify?.isMatch).toBe(true);
      const readBack = await session.read(flash.alternate, { start: last.start, end: last.start + image.size });
      expect(readBack.blocks[0]!.data).toEqual(image.blocks[0]!.data);
    } finally {
      await session.program(backup, { ...options, alternate: flash.alternate });
      await session.close();
    }
  }, 120_000);
});
