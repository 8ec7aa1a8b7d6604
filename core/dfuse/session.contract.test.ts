// The engine's contract, the same for the simulator and for a real board:
// - every fault ends in a typed DfuError that names what failed (never a crash or a hang);
// - the device is recoverable afterwards: a new session flashes and verifies it;
// - nothing outside the plan is ever written or erased.
// The simulator runs always (every profile x every fault scenario). The board contract
// (core/testing/boardContract.ts: the checks that need no fault injection) runs on every simulated
// profile here, over real libusb in usb-harness/boardContractOverUsb.test.ts, and on real hardware
// with DFU_HARDWARE=1, on the last two sectors of the real flash (backed up and restored).
import type { DfuError} from '../errors.js';
import { isDfuError, stateName, type DfuErrorKind } from '../errors.js';
import { MemoryImage } from '../image/memoryImage.js';
import { VirtualClock } from '../clock.js';
import { SimulatedDevice } from '../simulator/device.js';
import { profiles } from '../simulator/profiles.js';
import { nonErasedBytes } from '../simulator/pseudoRandom.js';
import { parseScenario, POLL_VARIANTS, scenarios } from '../simulator/scenarios.js';
import type { SimulatorProfile } from '../simulator/profiles.js';
import type { Clock, UsbBus } from '../usb/transport.js';
import { regionRange } from './memoryLayout.js';
import { planImage, type ProgramOptions } from './plan.js';
import { DfuseSession } from './session.js';
import { runBoardContract } from '../testing/boardContract.js';

const options: ProgramOptions = { erase: 'touched', verify: true };

type Expectation =
  | { readonly outcome: 'success' }
  | { readonly outcome: 'error'; readonly kinds: readonly DfuErrorKind[]; readonly recover: 'none' | 'replug' | 'unprotect' | 'same-error' };

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
  pollHold: { outcome: 'success' },
  pollAnswerBusy: { outcome: 'success' },
  pollFirstHeld: { outcome: 'success' },
  pollFlaky: { outcome: 'success' },
  pollStall: { outcome: 'success' },
  noResetAfterOptionBytes: { outcome: 'success' },
  readUnprotectNoOp: { outcome: 'success' },
  addressByLength: { outcome: 'success' },
  setAddressRefusedWhenProtected: { outcome: 'error', kinds: ['read-protected'], recover: 'unprotect' },
  // The sector under the contract image: its erase does nothing (no error, AN2662), the write fails.
  // Protection stays, so a fresh session fails the same way, with the device back in dfuIDLE.
  writeProtected: { outcome: 'error', kinds: ['device-status'], recover: 'same-error' },
};

/**
 * The scenario text for a profile: writeProtected names the sector the contract image starts in;
 * where the real flash is a single sector (H750: 128 KiB behind a 2 MiB string) the image needs one
 * erase, so the unplug comes with the first erase command.
 */
function scenarioFor(name: string, profile: SimulatorProfile): string {
  const flash = profile.alternates[0]!.memory;
  if (name === 'unplugMidErase' && flash.realEnd !== undefined && flash.realEnd - flash.segments[0]!.start <= flash.segments[0]!.sectorSize) return 'unplugMidErase:0';
  if (name !== 'writeProtected') return name;
  const first = profile.alternates[0]!.memory.segments[0]!;
  const offset = Math.max(first.sectorSize, 8192) - 4096;
  return `writeProtected:${Math.floor(offset / first.sectorSize)}`;
}

/**
 * An image straddling the first two sectors (or pages 32..95 where sectors are tiny); inside the
 * first sector where the real flash ends before the second (a part that sends a bigger part's
 * descriptor, found out through F_SIZE).
 */
function contractImage(session: DfuseSession, device: SimulatedDevice, seed: number): MemoryImage {
  const flash = session.info.alternates[0]!.layout!.region;
  const start = regionRange(flash).start;
  const firstSector = flash.segments[0]!.sectorSize;
  const end = device.profile.alternates[0]!.memory.realEnd ?? regionRange(flash).end;
  const at = Math.min(start + Math.max(firstSector, 8192) - 4096, end - 8192);
  return MemoryImage.fromBytes(at, nonErasedBytes(8192, seed));
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
/** The profile's own poll behaviour, then each variant of how a busy bootloader answers GETSTATUS. */
const pollVariants: readonly (string | undefined)[] = [undefined, ...POLL_VARIANTS];
/**
 * Under each poll variant, the scenarios where waiting matters (the rest do not poll differently):
 * the whole matrix took 39 s instead of 5 s for ten profiles.
 */
const pollScenarios: readonly string[] = ['healthy', 'lyingPollTimeout', 'lyingPollTimeout:long', 'stuckBusy', 'eraseError', 'unplugMidErase'];

describe('engine contract against the simulator', () => {
  it('has an expectation for every named scenario', () => {
    for (const name of Object.keys(scenarios)) expect(scenarioNames).toContain(name);
  });

  for (const variant of pollVariants) for (const profileId of Object.keys(profiles)) {
    describe(`${profileId}${variant ? ` +${variant}` : ''}`, () => {
      it('program, verify and leave', async () => {
        const clock = new VirtualClock();
        const device = new SimulatedDevice({ profile: profiles[profileId]!, scenario: parseScenario(variant ?? 'healthy'), clock });
        const session = await DfuseSession.open(device.open(), { clock });
        const result = await session.program(contractImage(session, device, 3), { ...options, leave: true });
        expect(result.verify?.isMatch).toBe(true);
        expect(result.hasLeft).toBe(true);
        clock.advance(5_000);
        expect(device.isConnected).toBe(false);
        expect(device.violations).toEqual([]);
      });

      it('read unprotect, then an option-byte write: each a confirmed reset, no handle left open', async () => {
        const clock = new VirtualClock();
        const device = new SimulatedDevice({ profile: profiles[profileId]!, scenario: parseScenario(`readProtected${variant ? `+${variant}` : ''}`), clock });
        const session = await DfuseSession.open(device.open(), { clock });
        expect(await session.readUnprotect({ iUnderstandTheFlashIsErased: true })).toBe('reset');
        expect(device.openHandles).toBe(0);
        clock.advance(60_000);
        const again = await DfuseSession.open(device.open(), { clock });
        const [block] = await again.readAllOptionBytes();
        expect(await again.writeOptionBytes(block!.raw)).toBe('reset');
        expect(device.openHandles).toBe(0);
        expect(device.violations).toEqual([]);
      });

      for (const scenarioName of variant ? pollScenarios : scenarioNames) {
        it(scenarioName, async () => {
          const clock = new VirtualClock();
          const spec = scenarioFor(scenarioName, profiles[profileId]!) + (variant ? `+${variant}` : '');
          const device = new SimulatedDevice({ profile: profiles[profileId]!, scenario: parseScenario(spec), clock });
          const expectation = expectations[scenarioName]!;
          const before = snapshot(device);
          let allowed: { start: number; end: number }[] = [];
          let error: unknown;
          let session: DfuseSession | undefined;
          try {
            session = await DfuseSession.open(device.open(), { clock });
            const image = contractImage(session, device, 1);
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
            } else if (expectation.recover === 'same-error') {
              const again = await DfuseSession.open(device.open(), { clock });
              const retry = (await again.program(contractImage(again, device, 2), options).catch((e: unknown) => e)) as DfuError;
              expect(isDfuError(retry)).toBe(true);
              expect(expectation.kinds).toContain(retry.info.kind);
              expect(stateName(device.dfuState)).toBe('dfuIDLE');
              expect(device.violations).toEqual([]);
              return;
            }
          }
          clock.advance(5_000);
          expect(device.isConnected).toBe(true);
          const fresh = await DfuseSession.open(device.open(), { clock });
          const image = contractImage(fresh, device, 2);
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

/** The board contract's checks on a simulated board: every check passes and nothing else changes. */
describe('board contract (what DFU_HARDWARE=1 runs) against the simulator', () => {
  for (const profileId of Object.keys(profiles)) {
    it(profileId, async () => {
      const clock = new VirtualClock();
      const device = new SimulatedDevice({ profile: profiles[profileId]!, clock });
      const before = snapshot(device);
      // allowFirstSector: the H750's one real sector is all the scratch area there is.
      const run = await runBoardContract({ open: (onEvent) => DfuseSession.open(device.open(), { clock, onEvent }), allowFirstSector: true });
      expect(run.checks.filter((c) => !c.ok)).toEqual([]);
      expect(run.checks).toHaveLength(4);
      expect(run.scratch.isRestored).toBe(true);
      // Restored byte for byte: the simulator sees every alt setting.
      expect(changedOutside(device, before, [])).toEqual([]);
      expect(device.openHandles).toBe(0);
      expect(device.violations).toEqual([]);
    });
  }

  it('refuses, before writing anything, where the scratch area would include the first sector (a real H750 has one)', async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: profiles.stm32h750!, clock });
    const before = snapshot(device);
    const refused = await runBoardContract({ open: (onEvent) => DfuseSession.open(device.open(), { clock, onEvent }) }).catch((error: unknown) => error);
    expect(String(refused)).toContain('the scratch area would include sector 0, where the application starts');
    expect(changedOutside(device, before, [])).toEqual([]);
    expect(device.openHandles).toBe(0);
  });

  it('restores the scratch area through a new session when reopening the board failed', async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: profiles.stm32f405!, clock });
    const before = snapshot(device);
    let opens = 0;
    const backups: MemoryImage[] = [];
    const run = await runBoardContract({
      open: (onEvent) => {
        opens++;
        // The reopens of checks 1 and 4 fail; the restore's own open works.
        if (opens === 2 || opens === 3) return Promise.reject(new Error('the board went away'));
        return DfuseSession.open(device.open(), { clock, onEvent });
      },
      onBackup: (backup) => void backups.push(backup),
    });
    expect(run.checks.map((c) => c.ok)).toEqual([false, false, false, false]);
    expect(run.checks[0]!.detail).toBe('the board went away');
    expect(opens).toBe(4);
    expect(run.scratch.isRestored).toBe(true);
    expect(backups.map((b) => [b.start, b.size])).toEqual([[run.scratch.start, run.scratch.end - run.scratch.start]]);
    expect(changedOutside(device, before, [])).toEqual([]);
    expect(device.openHandles).toBe(0);
  });

  it('reports a failing check instead of throwing, and still restores the scratch area', async () => {
    const clock = new VirtualClock();
    const device = new SimulatedDevice({ profile: profiles.stm32f405!, scenario: parseScenario('writeError'), clock });
    const before = snapshot(device);
    const run = await runBoardContract({ open: (onEvent) => DfuseSession.open(device.open(), { clock, onEvent }) });
    expect(run.checks[0]).toMatchObject({ ok: false, detail: expect.stringMatching(/write of \d+ bytes at 0x/) });
    expect(run.checks.slice(1).every((c) => c.ok)).toBe(true);
    expect(run.scratch.isRestored).toBe(true);
    expect(changedOutside(device, before, [])).toEqual([]);
  });
});

/** Wall-clock time for the hardware tier (core tests may use Node globals). */
const wallClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

// The same board contract on a real board: DFU_HARDWARE=1 (DFU_HARDWARE_DEVICE=id|serial|path to
// pick one). It writes only the last two sectors of the real main flash, backed up and restored.
describe.skipIf(process.env.DFU_HARDWARE !== '1')('board contract on real hardware (DFU_HARDWARE=1)', () => {
  it('passes every check and restores the scratch area', async () => {
    // Loaded by path so core's type check does not reach into node/ (test-only, opt-in).
    const adapterPath = '../../node/nodeUsb.js';
    const { NodeUsbBus } = (await import(/* @vite-ignore */ adapterPath)) as { NodeUsbBus: new () => UsbBus };
    const bus = new NodeUsbBus();
    const devices = await bus.list();
    const wanted = process.env.DFU_HARDWARE_DEVICE;
    const summary = wanted ? devices.find((d) => d.id === wanted || d.serialNumber === wanted || d.path === wanted) : devices[0];
    if (!summary) throw new Error(`DFU_HARDWARE=1 but no DFU device found${wanted ? ` matching ${wanted}` : ''}`);
    // The scratch area's bytes go to a file first: if the restore cannot run, the user keeps them.
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const run = await runBoardContract({
      open: async (onEvent) => DfuseSession.open(await bus.open(summary.id), { clock: wallClock, onEvent }),
      onBackup: (backup) => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dfu-desk-hardware-')), `backup-0x${backup.start.toString(16)}.bin`);
        fs.writeFileSync(file, backup.read({ start: backup.start, end: backup.end }, 0xff));
        console.log(`scratch area backed up to ${file} (write it back at 0x${backup.start.toString(16)} if the restore fails)`);
      },
    });
    for (const c of run.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    expect(run.checks.filter((c) => !c.ok)).toEqual([]);
    expect(run.scratch.isRestored).toBe(true);
  }, 300_000);
});
