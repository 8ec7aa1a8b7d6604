// Diagnoses that depend on what was done: a "Verify only" never wrote, so it cannot blame an erase;
// an image placed a few bytes off is recognised by finding the device's bytes at a small offset.
import { VirtualClock } from '../clock.js';
import { DfuseSession } from '../dfuse/session.js';
import { writeIntelHex } from '../image/intelHex.js';
import { MemoryImage } from '../image/memoryImage.js';
import { previousFirmware, SimulatedDevice } from '../simulator/device.js';
import { profiles, type SimulatorProfile } from '../simulator/profiles.js';
import { prepareFlash, runFlash } from './flashJob.js';

const FLASH = 0x08000000;

async function rig(profile: SimulatorProfile) {
  const clock = new VirtualClock();
  const device = new SimulatedDevice({ profile, clock });
  const session = await DfuseSession.open(device.open(), { clock });
  return { device, session };
}

function hex(image: MemoryImage) {
  return { fileName: 'app.hex', bytes: new TextEncoder().encode(writeIntelHex(image)) };
}

async function verifyOnly(profile: SimulatorProfile, image: MemoryImage) {
  const { session } = await rig(profile);
  const prepared = prepareFlash(session.info, { kind: 'verify', source: hex(image), options: { erase: 'touched', verify: true } });
  return (await runFlash(session, prepared, { confirmed: [] })).verify!;
}

describe('verification diagnoses in context', () => {
  for (const id of ['stm32l073', 'stm32f405'] as const) {
    it(`${id}: Verify only against other firmware says the board holds different firmware, never "not erased"`, async () => {
      const other = previousFirmware('another build', 8192);
      const report = await verifyOnly(profiles[id]!, MemoryImage.fromBytes(FLASH, other));
      expect(report.isMatch).toBe(false);
      expect(report.diagnosis.kind).toBe('different-firmware');
      expect(report.diagnosis.message).toMatch(/^the board holds different firmware: /);
      expect(report.diagnosis.message).not.toMatch(/erase/);
    });
  }

  for (const offset of [4, 1, -8, 3]) {
    it(`Verify only of the board's own firmware placed ${offset} bytes off says "shifted by ${Math.abs(offset)} bytes"`, async () => {
      const profile = profiles.stm32l073!;
      const onBoard = previousFirmware(profile.id, 48 * 1024);
      const image = MemoryImage.fromBytes(FLASH + 64 + offset, onBoard.subarray(64, 16_384));
      const report = await verifyOnly(profile, image);
      expect(report.diagnosis).toMatchObject({ kind: 'shifted', offset: -offset });
      expect(report.diagnosis.message).toContain(`shifted by ${Math.abs(offset)} byte${Math.abs(offset) === 1 ? '' : 's'}`);
    });
  }
});
