import { VirtualClock } from '../clock.js';
import { DfuError, stateName } from '../errors.js';
import { flashSizeLimit } from '../dfuse/flashLimit.js';
import { DfuseSession } from '../dfuse/session.js';
import { MemoryImage } from '../image/memoryImage.js';
import { SimulatedDevice } from '../simulator/device.js';
import { profiles, type SimulatorProfile } from '../simulator/profiles.js';
import { nonErasedBytes } from '../simulator/pseudoRandom.js';
import { describeDevice } from '../usb/descriptors.js';
import { flashSizeTarget, probeFlashSize, withFlashSizeProbe } from './flashSize.js';

async function connect(profile: SimulatorProfile) {
  const clock = new VirtualClock();
  const device = new SimulatedDevice({ profile, clock });
  const session = await DfuseSession.open(device.open(), { clock });
  return { clock, device, session };
}

const flashOf = (session: DfuseSession) => session.info.alternates.find((a) => a.role === 'flash')!;

describe('F_SIZE at connect', () => {
  it('STM32L072xB: the register says 128 KiB, so the 192 KiB descriptor is corrected without a flash-size setting', async () => {
    const { device, session } = await connect(profiles.stm32l072xb!);
    expect(session.info.flashSizeBytes).toBe(128 * 1024);
    expect(session.info.notes?.join('\n')).toMatch(/Flash size corrected from the flash-size register \(F_SIZE at 0x1FF8007C\): 128 KiB, not the 192 KiB/);
    // The "smaller parts send the same string" note is answered and gone.
    expect(session.info.notes?.join('\n')).not.toMatch(/cannot tell the parts apart/);
    expect(session.info.warnings).toEqual([]);
    const alt = flashOf(session);
    expect(flashSizeLimit(session.info, alt.layout!.region, alt.role)).toMatchObject({ end: 0x08020000, source: 'register' });
    // A saved size equal to the register's is the one named (the user can change it); a smaller one wins.
    expect(flashSizeLimit(session.info, alt.layout!.region, alt.role, 128 * 1024)).toMatchObject({ end: 0x08020000, source: 'user' });
    expect(flashSizeLimit(session.info, alt.layout!.region, alt.role, 64 * 1024)).toMatchObject({ end: 0x08010000, source: 'user' });
    expect(flashSizeLimit(session.info, alt.layout!.region, alt.role, 160 * 1024)).toMatchObject({ end: 0x08020000, source: 'register' });
    expect(device.violations).toEqual([]);
    expect(stateName(device.dfuState)).toBe('dfuIDLE');

    // Flashing just below the real end works; reaching above it is refused before any request.
    const below = await session.program(MemoryImage.fromBytes(0x0801f000, nonErasedBytes(4096, 3)), { erase: 'touched', verify: true });
    expect(below.verify?.isMatch).toBe(true);
    await expect(session.program(MemoryImage.fromBytes(0x0801f000, nonErasedBytes(8192, 4)), { erase: 'touched', verify: true })).rejects.toThrow(/0x08020000/);
    expect(device.isHung).toBe(false);
  });

  it('STM32L073: the register confirms 192 KiB and nothing is limited', async () => {
    const { session } = await connect(profiles.stm32l073!);
    expect(session.info.flashSizeBytes).toBe(192 * 1024);
    expect(session.info.notes?.join('\n')).toMatch(/reads 192 KiB: the bootloader's 192 KiB is all there/);
    const alt = flashOf(session);
    expect(flashSizeLimit(session.info, alt.layout!.region, alt.role)).toBeUndefined();
  });

  it('a ROM that refuses the read: the descriptor stands, the user value applies, the note says why, the device is back in dfuIDLE', async () => {
    const refusing: SimulatorProfile = { ...profiles.stm32l072xb!, systemMemory: { ...profiles.stm32l072xb!.systemMemory, isReadable: false } };
    const { device, session } = await connect(refusing);
    expect(session.info.flashSizeBytes).toBeUndefined();
    expect(session.info.notes?.join('\n')).toMatch(/did not let the flash-size register \(F_SIZE at 0x1FF8007C\) be read .*the flash size you saved for this board/);
    const alt = flashOf(session);
    expect(flashSizeLimit(session.info, alt.layout!.region, alt.role)).toBeUndefined();
    expect(flashSizeLimit(session.info, alt.layout!.region, alt.role, 128 * 1024)).toMatchObject({ end: 0x08020000, source: 'user' });
    expect(stateName(device.dfuState)).toBe('dfuIDLE');
    expect(device.violations).toEqual([]);
    const after = await session.program(MemoryImage.fromBytes(0x08000000, nonErasedBytes(1024, 5)), { erase: 'touched', verify: true });
    expect(after.verify?.isMatch).toBe(true);
  });

  it('H743 string (also sent by H750 boards): read, 2 MiB confirmed', async () => {
    const { session } = await connect(profiles.stm32h743!);
    expect(session.info.flashSizeBytes).toBe(2048 * 1024);
  });

  it('costs nothing where the descriptor is the size (F405, G474) or the family is unknown (GD32)', async () => {
    for (const id of ['stm32f405', 'stm32g474', 'gd32vf103']) {
      const { device, session } = await connect(profiles[id]!);
      expect(session.info.flashSizeBytes).toBeUndefined();
      expect(device.stats.operations.setAddress).toBe(0);
      expect(device.stats.requests.upload).toBe(0);
    }
  });
});

describe('withFlashSizeProbe / probeFlashSize', () => {
  const l072 = describeDevice(new SimulatedDevice({ profile: profiles.stm32l072xb!, clock: new VirtualClock() }).open());

  it('targets the family register for the flash region', () => {
    expect(flashSizeTarget(l072)).toMatchObject({ address: 0x1ff8007c });
  });

  it('an unusable register value (0xFFFF, 0) keeps the descriptor and warns', () => {
    for (const kib of [0xffff, 0]) {
      const info = withFlashSizeProbe(l072, { outcome: 'read', address: 0x1ff8007c, kib });
      expect(info.flashSizeBytes).toBeUndefined();
      expect(info.warnings.join('\n')).toMatch(/not a size: keeping the bootloader's 192 KiB/);
    }
  });

  it('a short answer or a failure is a refusal; a vanished device is an error', async () => {
    expect(await probeFlashSize(l072, () => Promise.resolve(Uint8Array.of(0x80)))).toMatchObject({ outcome: 'refused', detail: 'the device returned 1 bytes' });
    expect(await probeFlashSize(l072, () => Promise.reject(new Error('STALL')))).toMatchObject({ outcome: 'refused', detail: 'STALL' });
    const gone = new DfuError({ kind: 'device-gone', during: 'read' });
    await expect(probeFlashSize(l072, () => Promise.reject(gone))).rejects.toBe(gone);
    expect(await probeFlashSize(l072, () => Promise.resolve(Uint8Array.of(0x80, 0x00)))).toEqual({ outcome: 'read', address: 0x1ff8007c, kib: 128 });
  });
});
