// Issue 16: the GigaDevice GD32VF103 ROM describes "512*002Kg" but erases 1 KiB pages. Through the
// normal flash job (prepare, confirm, run, verify) the product must flash and verify it; the same
// ROM under an identity the quirk does not match (what a host without the fix-up sees) must fail
// verification, which proves the simulator models the real page erase and not the string.
import { VirtualClock } from '../clock.js';
import { DfuseSession } from '../dfuse/session.js';
import { writeIntelHex } from '../image/intelHex.js';
import { MemoryImage } from '../image/memoryImage.js';
import { prepareFlash, runFlash } from '../jobs/flashJob.js';
import { SimulatedDevice } from './device.js';
import { profiles, type SimulatorProfile } from './profiles.js';
import { nonErasedBytes } from './pseudoRandom.js';

const gd32 = profiles.gd32vf103!;

async function flash(profile: SimulatorProfile) {
  const clock = new VirtualClock();
  const device = new SimulatedDevice({ profile, clock });
  const session = await DfuseSession.open(device.open(), { clock });
  // 6 KiB from 0x08000000 over the old application the simulator starts with: pages 0-5 (real) or 0-2 (described).
  const image = MemoryImage.fromBytes(0x08000000, nonErasedBytes(6 * 1024, 16));
  const source = { fileName: 'app.hex', bytes: new TextEncoder().encode(writeIntelHex(image)) };
  const prepared = prepareFlash(session.info, { kind: 'flash', source, options: { erase: 'touched', verify: true } });
  const outcome = await runFlash(session, prepared, { confirmed: prepared.confirmations.map((c) => c.kind) });
  return { device, session, prepared, outcome, image };
}

describe('GD32VF103 (descriptor 512*002Kg, real 1 KiB pages)', () => {
  it('flashes and verifies through the flash job with the layout fix-up applied', async () => {
    const { device, session, prepared, outcome, image } = await flash(gd32);
    expect(session.info.serialNumber).toBe('3CBJ');
    expect(session.info.quirks).toEqual(expect.arrayContaining(['gd32vf103-page-layout', 'gd32-utf8-serial']));
    expect(prepared.plans[0]!.sectors.map((s) => s.end - s.start)).toEqual([1024, 1024, 1024, 1024, 1024, 1024]);
    expect(outcome.verify?.isMatch).toBe(true);
    expect(Array.from(device.memory(0).subarray(0, image.size))).toEqual(Array.from(image.blocks[0]!.data));
    expect(device.violations).toEqual([]);
  });

  it('fails verification when the host trusts the string (same ROM, an identity the quirk does not match)', async () => {
    const unmatched: SimulatorProfile = { ...gd32, id: 'gd32vf103-unmatched', productId: 0x0188 };
    const { prepared, outcome, device } = await flash(unmatched);
    expect(prepared.plans[0]!.sectors.map((s) => s.end - s.start)).toEqual([2048, 2048, 2048]);
    // Pages 1, 3 and 5 were never erased: the ROM keeps their old words, so read-back differs there.
    expect(outcome.verify?.isMatch).toBe(false);
    expect(device.stats.operations.erase).toBe(3);
  });
});
